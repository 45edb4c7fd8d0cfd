//! Serde helpers (feature `serde`).

/// `Option<Option<T>>` as a field: absent means "leave as is", `null` means "clear", a value
/// means "set". Plain serde writes both `None` and `Some(None)` as `null`, which would turn a
/// recorded "cleared" into "unchanged". Use with
/// `#[serde(default, skip_serializing_if = "Option::is_none", with = "clearable")]` (with
/// `use crate::serde_util::clearable`).
pub(crate) mod clearable {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<T: Serialize, S: Serializer>(value: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}
