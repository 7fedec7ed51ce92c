//! Technology and voltage scaling of the energy table.
//!
//! References: Stillmaker & Baas (2017), energy factor = a·V² + b·V + c per node; the
//! paper's corrigendum works its example as 65 nm at 1.3 V → 2.604 and 32 nm at 0.9 V →
//! 0.4571. Horowitz's table is 45 nm at 0.9 V.

use accelsim::arch::energy::{stillmaker_energy_factor, technology_energy_scale};
use accelsim::arch::{Arch, EnergyTable, PowerConfig, Technology, VfPoint};
use accelsim::numerics::Format;

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs()
}

#[test]
fn stillmaker_factors_match_the_corrigendum_example() {
    assert!(close(
        stillmaker_energy_factor(65, 1.3).unwrap(),
        2.604,
        5e-4
    ));
    assert!(close(
        stillmaker_energy_factor(32, 0.9).unwrap(),
        0.4571,
        5e-4
    ));
    assert_eq!(stillmaker_energy_factor(5, 0.7), None);
}

#[test]
fn node_scaling_of_the_table() {
    // 45 nm @ 0.9 V: 1.018·0.81 − 0.3107·0.9 + 0.1539 = 0.69885;
    // 7 nm @ 0.7 V: 0.1776·0.49 − 0.09097·0.7 + 0.02447 = 0.047815; ratio 0.0684196.
    let f = technology_energy_scale(45, 0.9, 7, 0.7).unwrap();
    assert!(close(f, 0.047815 / 0.69885, 1e-4));
    let mut cfg = accelsim::arch::EnergyConfig::default();
    let tech = Technology {
        node_nm: 7,
        voltage_v: 0.7,
    };
    let t = EnergyTable::from_config_scaled(&cfg, Some(&tech), 1.0).unwrap();
    assert!(close(t.mult(Format::FP16).pj, 1.1 * f, 1e-12));
    assert!(close(t.add(Format::FP32).pj, 0.9 * f, 1e-12));
    assert!(close(t.mac(Format::INT8, Format::INT32).pj, 0.3 * f, 1e-12));
    assert!(close(t.sram_read64(32768.0).pj, 20.0 * f, 1e-12));
    // Derived entries carry the scaling in their source tag; DRAM is not scaled.
    assert!(t.mult(Format::BF16).source.contains("stillmaker_baas2017"));
    assert_eq!(t.dram_read64().pj, 1300.0);
    // Overrides are taken as given at the target node.
    cfg.overrides_pj.insert("mult.int8".into(), 0.05);
    let t = EnergyTable::from_config_scaled(&cfg, Some(&tech), 1.0).unwrap();
    assert_eq!(t.mult(Format::INT8).pj, 0.05);
    // Same node and voltage as Horowitz: unchanged.
    let same = Technology {
        node_nm: 45,
        voltage_v: 0.9,
    };
    let t =
        EnergyTable::from_config_scaled(&accelsim::arch::EnergyConfig::default(), Some(&same), 1.0)
            .unwrap();
    assert!(close(t.mult(Format::FP16).pj, 1.1, 1e-12));
}

#[test]
fn voltage_scaling_is_v_squared() {
    let mut a = Arch::from_json(accelsim::validate::H100_ARCH_JSON).unwrap();
    let nominal = a.energy_table().mac(Format::FP16, Format::FP32).pj;
    // The preset's curve is linear from 0.65 V at 0.6 GHz to 1.0 V at 1.98 GHz; 1.29 GHz
    // is its midpoint: 0.825 V.
    a.clock_ghz = 1.29;
    assert!(close(a.operating_voltage_v().unwrap(), 0.825, 1e-12));
    let low = a.energy_table().mac(Format::FP16, Format::FP32);
    assert!(close(low.pj / nominal, 0.825 * 0.825, 1e-12));
    assert!(low.source.contains("dvfs_v_squared"));
    // DRAM energy per bit is the board-measured figure, not core-voltage scaled.
    assert_eq!(a.memory.dram.energy_pj_per_bit, Some(12.59));
}

#[test]
fn bad_technology_is_a_clear_error() {
    let mut text = accelsim::validate::H100_ARCH_JSON.replace("\"node_nm\": 7", "\"node_nm\": 3");
    let e = Arch::from_json(&text).unwrap_err();
    assert_eq!(e.json_path, "technology.node_nm");
    assert!(e.message.contains("7") && e.message.contains("3 nm"));
    text = accelsim::validate::H100_ARCH_JSON.replace("\"technology\"", "\"technologyx\"");
    let e = Arch::from_json(&text).unwrap_err();
    assert!(e.message.contains("technologyx"), "{}", e.message);
    let mut a = Arch::from_json(accelsim::validate::H100_ARCH_JSON).unwrap();
    a.technology = None;
    let e = a.validate().unwrap_err();
    assert_eq!(e.json_path, "power.vf_curve");
    a.technology = Some(Technology {
        node_nm: 7,
        voltage_v: 1.0,
    });
    a.power = Some(PowerConfig {
        cap_w: Some(100.0),
        vf_curve: vec![
            VfPoint {
                clock_ghz: 1.0,
                voltage_v: 0.9,
            },
            VfPoint {
                clock_ghz: 0.5,
                voltage_v: 0.7,
            },
        ],
        min_clock_ghz: None,
        array_leakage_w_per_core: 0.0,
        leakage_voltage_exponent: 1.0,
    });
    assert_eq!(a.validate().unwrap_err().json_path, "power.vf_curve[1]");
}
