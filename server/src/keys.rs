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
}

pub async fn rotate(db: &Db, key_file: &Path) -> anyhow::Result<Rotation> {
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
            sealed.push((row, keyring.reseal(&old, &context)?));
        }
    }
    secrets::write_key_file(key_file, &keyring)?;
    for (row, new) in &sealed {
        store
            .set_credential(&row.owner, &row.id, Some(new.encode()))
            .await?;
    }
    Ok(Rotation {
        key_id: keyring.current_id().to_string(),
        resealed: sealed.len(),
    })
}

pub async fn run_rotate(config: &crate::config::Config) -> anyhow::Result<()> {
    if config.secret_key.is_some() {
        anyhow::bail!("the master key comes from RONDO_SECRET_KEY; rotate it by moving to a key file (unset RONDO_SECRET_KEY) or re-entering passwords");
    }
    let db = crate::serve::open_db(config).await?;
    let rotation = rotate(&db, &config.secret_key_path()).await?;
    println!("New master key {} is current; re-encrypted {} stored credential(s). Older keys remain in {} for safety.", rotation.key_id, rotation.resealed, config.secret_key_path().display());
    Ok(())
}
