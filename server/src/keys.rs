//! `rondo keys rotate`: a new master key becomes current and every stored credential is
//! re-encrypted with it. Older keys stay in the key file, so a rotation interrupted at any point
//! loses nothing: rows not yet re-encrypted still open with the key they were sealed with.
use std::path::Path;

use crate::calendar::store::ConnectionStore;
use crate::db::Db;
use crate::secrets::{self, SealedSecret, SecretContext};

#[derive(Debug, PartialEq, Eq)]
pub struct Rotation {
    pub key_id: String,
    pub resealed: usize,
    /// Credentials changed while the rotation ran (a new password, a refreshed token): kept as
    /// saved, still readable with the older key that sealed them.
    pub skipped: usize,
}

pub async fn rotate(db: &Db, key_file: &Path) -> anyhow::Result<Rotation> {
    rotate_with_pause(db, key_file, async {}).await
}

/// [`rotate`], awaiting `pause` after the new key is saved and before any row is rewritten:
/// tests change credentials there, as a user could.
#[doc(hidden)]
pub async fn rotate_with_pause(
    db: &Db,
    key_file: &Path,
    pause: impl std::future::Future<Output = ()>,
) -> anyhow::Result<Rotation> {
    let keyring = secrets::load_or_create_key_file(key_file)?.rotated();
    let store = ConnectionStore::new(db.clone());
    let rows = store.all_rows().await?;
    // Check everything opens before changing anything.
    let mut sealed = Vec::new();
    for row in rows.iter() {
        if let Some(text) = row.credential.as_deref() {
            let old = SealedSecret::decode(text)?;
            let context = SecretContext {
                user: &row.owner,
                connection: &row.id,
            };
            sealed.push((row, text, keyring.reseal(&old, &context)?));
        }
    }
    secrets::write_key_file(key_file, &keyring)?;
    pause.await;
    let mut resealed = 0;
    for (row, old, new) in &sealed {
        // Only where the row still holds what was read: a credential saved meanwhile wins.
        if store
            .replace_credential(&row.owner, &row.id, old, new.encode())
            .await?
        {
            resealed += 1;
        }
    }
    Ok(Rotation {
        key_id: keyring.current_id().to_string(),
        resealed,
        skipped: sealed.len() - resealed,
    })
}

pub async fn run_rotate(config: &crate::config::Config) -> anyhow::Result<()> {
    if config.secret_key.is_some() {
        anyhow::bail!("the master key comes from RONDO_SECRET_KEY; rotate it by moving to a key file (unset RONDO_SECRET_KEY) or re-entering passwords");
    }
    let db = crate::serve::open_db(config).await?;
    let rotation = rotate(&db, &config.secret_key_path()).await?;
    println!("New master key {} is current; re-encrypted {} stored credential(s). Older keys remain in {} for safety.", rotation.key_id, rotation.resealed, config.secret_key_path().display());
    if rotation.skipped > 0 {
        println!("{} credential(s) changed while rotating were left as saved (still readable; the next rotation re-encrypts them).", rotation.skipped);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::store::NewConnection;
    use crate::secrets::{ExposeSecret, KeyringSource};
    use app::models::Provider;

    #[tokio::test]
    async fn a_credential_changed_during_rotation_is_not_overwritten() {
        let db = crate::db::memory().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("secret.key");
        let running = KeyringSource::from_file(&key_file).unwrap();
        let store = ConnectionStore::new(db.clone());
        let mut ids = Vec::new();
        for name in ["changed", "untouched"] {
            let id = store
                .create(
                    "user-1",
                    NewConnection {
                        provider: Provider::CalDav,
                        name: name.into(),
                        server_url: Some("https://dav.example.org/".into()),
                        username: Some("ana".into()),
                        account_email: None,
                        calendars: Vec::new(),
                        sync_frequency: Default::default(),
                    },
                    |id| {
                        let seal = crate::calendar::credentials::seal;
                        Some(seal(&running, "user-1", id, "old password"))
                    },
                )
                .await
                .unwrap();
            ids.push(id);
        }
        let (changed, untouched) = (ids[0].clone(), ids[1].clone());
        let rotation = rotate_with_pause(&db, &key_file, async {
            // The user saves a new password while the rotation runs (with the key the running
            // server has: the pre-rotation one).
            let sealed =
                crate::calendar::credentials::seal(&running, "user-1", &changed, "new password");
            store
                .set_credential("user-1", &changed, Some(sealed))
                .await
                .unwrap();
        })
        .await
        .unwrap();
        assert_eq!((rotation.resealed, rotation.skipped), (1, 1));
        let open = |id: String| {
            let store = store.clone();
            let running = &running;
            async move {
                let row = store.row("user-1", &id).await.unwrap();
                let text = row.credential.unwrap();
                let password =
                    crate::calendar::credentials::open(running, "user-1", &id, &text).unwrap();
                (text, password.expose_secret().to_string())
            }
        };
        let (text, password) = open(changed).await;
        assert_eq!(password, "new password", "the user's change survives");
        assert!(!text.starts_with(&format!("v1.{}.", rotation.key_id)));
        let (text, password) = open(untouched).await;
        assert_eq!(password, "old password");
        assert!(
            text.starts_with(&format!("v1.{}.", rotation.key_id)),
            "re-encrypted"
        );
        // The running server opened the new key's ciphertext by re-reading the key file.
        assert_eq!(running.reloads(), 1);
    }
}
