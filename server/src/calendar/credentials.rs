//! Sealing and opening one connection's credential, bound to its user and connection.
use crate::secrets::{KeyringSource, SealedSecret, Secret, SecretContext};

pub fn seal(keyring: &KeyringSource, user: &str, connection: &str, plaintext: &str) -> String {
    keyring
        .seal(plaintext, &SecretContext { user, connection })
        .encode()
}

/// The plaintext, or a message for the user (never containing secret material).
pub fn open(
    keyring: &KeyringSource,
    user: &str,
    connection: &str,
    stored: &str,
) -> Result<Secret, String> {
    SealedSecret::decode(stored)
        .and_then(|sealed| keyring.open(&sealed, &SecretContext { user, connection }))
        .map_err(|e| format!("The stored credentials could not be read ({e}). Edit the connection and enter the password again."))
}
