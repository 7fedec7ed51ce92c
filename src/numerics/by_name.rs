//! The one implementation of the traits of a type read and written by its name.

/// Implements `Display`, serde `Serialize`/`Deserialize` and schemars `JsonSchema` for a
/// type known by its name: `$ty::name()` writes it, `$ty::parse(&str)` reads it back (its
/// error is `Display`), and its JSON schema is a string described by `$description`.
macro_rules! impl_by_name {
    ($ty:ident, $description:expr) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.name())
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.name())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                $ty::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        impl schemars::JsonSchema for $ty {
            fn schema_name() -> String {
                stringify!($ty).into()
            }
            fn json_schema(gen: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
                let mut s = <String as schemars::JsonSchema>::json_schema(gen).into_object();
                s.metadata().description = Some(String::from($description));
                s.into()
            }
        }
    };
}
