//! How long each thing a user types may be. Forms put these in `maxlength`; the server checks
//! them again (a form is only a hint) and answers with [`too_long`]'s message.
//! Lengths count characters, not bytes.

pub const NAME: usize = 100;
pub const ORGANIZATION: usize = 200;
pub const JOB_TITLE: usize = 200;
/// RFC 5321's limit on a forward path.
pub const EMAIL: usize = 254;
pub const PHONE: usize = 50;
pub const LABEL: usize = 40;
pub const NOTES: usize = 20_000;
pub const TITLE: usize = 300;
pub const URL: usize = 2_000;
pub const USERNAME: usize = 320;
pub const PASSWORD: usize = 1_000;
/// Addresses or phone numbers on one person.
pub const ENTRIES: usize = 50;

/// `Err` with a message naming the field when `value` is longer than `max` characters.
pub fn too_long(field: &str, value: &str, max: usize) -> Result<(), String> {
    match value.chars().count() {
        n if n > max => Err(format!(
            "{field} is too long ({n} characters); at most {max} are allowed."
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        assert!(too_long("First name", &"é".repeat(NAME), NAME).is_ok());
        let error = too_long("First name", &"é".repeat(NAME + 1), NAME).unwrap_err();
        assert_eq!(
            error,
            "First name is too long (101 characters); at most 100 are allowed."
        );
    }
}
