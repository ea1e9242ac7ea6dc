//! Credentials at rest: XChaCha20-Poly1305 with a fresh random nonce per encryption, a key
//! derived by HKDF-SHA256 from the server's master key, the owning user and connection as
//! associated data (a ciphertext moved to another row fails), and a key id on every ciphertext
//! so `keys rotate` can re-encrypt without losing anything.
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use rand::RngCore;
pub use secrecy::{ExposeSecret, SecretString};
use secrecy::{ExposeSecretMut, SecretBox};
use sha2::Sha256;
use thiserror::Error;

const HKDF_INFO: &[u8] = b"rondo credentials v1";

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("stored credentials could not be decrypted: the secret key does not match the one they were encrypted with, or the data was altered")]
    WrongKey,
    #[error("stored credentials were encrypted with key \"{0}\", which this server does not have")]
    UnknownKeyId(String),
    #[error("secret key file {path}: {reason}")]
    KeyFile { path: PathBuf, reason: String },
    #[error("malformed encrypted credential")]
    Encoding,
}

/// A decrypted secret: prints as redacted and is zeroed when dropped; read it with
/// [`ExposeSecret::expose_secret`].
pub type Secret = SecretString;

/// Who a secret belongs to; bound into the ciphertext as associated data.
pub struct SecretContext<'a> {
    pub user: &'a str,
    pub connection: &'a str,
}

impl SecretContext<'_> {
    fn aad(&self) -> Vec<u8> {
        let mut aad = Vec::new();
        for part in [self.user, self.connection] {
            aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
            aad.extend_from_slice(part.as_bytes());
        }
        aad
    }
}

/// An encrypted secret; nothing in it needs hiding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedSecret {
    pub key_id: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

impl SealedSecret {
    /// `v1.<key id>.<nonce>.<ciphertext>` with base64url parts.
    pub fn encode(&self) -> String {
        format!(
            "v1.{}.{}.{}",
            self.key_id,
            URL_SAFE_NO_PAD.encode(&self.nonce),
            URL_SAFE_NO_PAD.encode(&self.ciphertext)
        )
    }

    pub fn decode(text: &str) -> Result<Self, SecretError> {
        let parts: Vec<&str> = text.split('.').collect();
        let [version, key_id, nonce, ciphertext] = parts.as_slice() else {
            return Err(SecretError::Encoding);
        };
        if *version != "v1" || key_id.is_empty() {
            return Err(SecretError::Encoding);
        }
        let nonce = URL_SAFE_NO_PAD
            .decode(nonce)
            .map_err(|_| SecretError::Encoding)?;
        let ciphertext = URL_SAFE_NO_PAD
            .decode(ciphertext)
            .map_err(|_| SecretError::Encoding)?;
        if nonce.len() != 24 || ciphertext.len() < 16 {
            return Err(SecretError::Encoding);
        }
        Ok(SealedSecret {
            key_id: key_id.to_string(),
            nonce,
            ciphertext,
        })
    }
}

#[derive(Debug)]
struct MasterKey {
    id: String,
    /// The key the cipher uses, derived from `raw` and the id.
    derived: SecretBox<[u8; 32]>,
    raw: SecretBox<[u8; 32]>,
}

impl MasterKey {
    fn new(id: &str, raw: [u8; 32]) -> Self {
        let mut derived = SecretBox::new(Box::new([0u8; 32]));
        Hkdf::<Sha256>::new(Some(id.as_bytes()), &raw)
            .expand(HKDF_INFO, derived.expose_secret_mut())
            .expect("32 bytes is a valid HKDF length");
        MasterKey {
            id: id.to_string(),
            derived,
            raw: SecretBox::new(Box::new(raw)),
        }
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(Key::from_slice(self.derived.expose_secret()))
    }
}

/// The current key (used to encrypt) and older ones (still accepted for decryption).
#[derive(Debug)]
pub struct Keyring {
    current: MasterKey,
    older: Vec<MasterKey>,
}

fn random_key() -> [u8; 32] {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    raw
}

fn new_key_id() -> String {
    format!("k{}", &uuid::Uuid::new_v4().simple().to_string()[..10])
}

impl Keyring {
    pub fn generate() -> Self {
        Keyring {
            current: MasterKey::new(&new_key_id(), random_key()),
            older: Vec::new(),
        }
    }

    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    pub fn seal(&self, plaintext: &str, context: &SecretContext) -> SealedSecret {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = context.aad();
        let ciphertext = self
            .current
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: &aad,
                },
            )
            .expect("encryption cannot fail for in-memory data");
        SealedSecret {
            key_id: self.current.id.clone(),
            nonce: nonce.to_vec(),
            ciphertext,
        }
    }

    pub fn open(
        &self,
        sealed: &SealedSecret,
        context: &SecretContext,
    ) -> Result<Secret, SecretError> {
        let key = std::iter::once(&self.current)
            .chain(&self.older)
            .find(|k| k.id == sealed.key_id)
            .ok_or_else(|| SecretError::UnknownKeyId(sealed.key_id.clone()))?;
        if sealed.nonce.len() != 24 {
            return Err(SecretError::Encoding);
        }
        let aad = context.aad();
        let plain = key
            .cipher()
            .decrypt(
                XNonce::from_slice(&sealed.nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| SecretError::WrongKey)?;
        String::from_utf8(plain)
            .map(Secret::from)
            .map_err(|_| SecretError::Encoding)
    }

    /// Decrypts with whichever key sealed it and encrypts again with the current key.
    pub fn reseal(
        &self,
        sealed: &SealedSecret,
        context: &SecretContext,
    ) -> Result<SealedSecret, SecretError> {
        let secret = self.open(sealed, context)?;
        Ok(self.seal(secret.expose_secret(), context))
    }

    /// A new current key; the old current one is kept for decryption.
    pub fn rotated(self) -> Self {
        let mut older = self.older;
        older.insert(0, self.current);
        Keyring {
            current: MasterKey::new(&new_key_id(), random_key()),
            older,
        }
    }

    fn to_file_text(&self) -> String {
        let line = |label: &str, k: &MasterKey| {
            format!(
                "{label}={}:{}\n",
                k.id,
                STANDARD.encode(k.raw.expose_secret())
            )
        };
        let mut text = String::from("# Rondo master keys. Keep this file secret and backed up: without it stored calendar passwords and tokens cannot be read.\n");
        text.push_str(&line("current", &self.current));
        for k in &self.older {
            text.push_str(&line("old", k));
        }
        text
    }

    fn parse_file(path: &Path, text: &str) -> Result<Self, SecretError> {
        let bad = |reason: &str| SecretError::KeyFile {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        let mut current = None;
        let mut older = Vec::new();
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let (label, value) = line
                .split_once('=')
                .ok_or_else(|| bad("expected lines like current=ID:BASE64"))?;
            let (id, key) = value
                .split_once(':')
                .ok_or_else(|| bad("expected ID:BASE64 after ="))?;
            let key = parse_key(key).ok_or_else(|| bad("a key is not 32 bytes of base64"))?;
            match label {
                "current" if current.is_none() => current = Some(MasterKey::new(id, key)),
                "old" => older.push(MasterKey::new(id, key)),
                _ => {
                    return Err(bad(
                        "unexpected line (only one current= and any number of old= lines)",
                    ))
                }
            }
        }
        Ok(Keyring {
            current: current.ok_or_else(|| bad("no current= key"))?,
            older,
        })
    }
}

fn parse_key(text: &str) -> Option<[u8; 32]> {
    STANDARD.decode(text.trim()).ok()?.try_into().ok()
}

/// A keyring from a base64 key given in configuration (`RONDO_SECRET_KEY`).
pub fn keyring_from_base64(current: &str) -> Result<Keyring, SecretError> {
    let key = parse_key(current).ok_or_else(|| SecretError::KeyFile {
        path: PathBuf::from("RONDO_SECRET_KEY"),
        reason: "must be 32 bytes of base64".into(),
    })?;
    Ok(Keyring {
        current: MasterKey::new("env", key),
        older: Vec::new(),
    })
}

/// The keyring in force for a running server. Keys from a file are re-read, once per
/// attempt, when a sealed secret names a key id this process does not have: against a shared
/// database another process may have run `rondo keys rotate` (which adds keys to the file and
/// re-encrypts with the new one) since this one started.
pub struct KeyringSource {
    keyring: RwLock<Arc<Keyring>>,
    file: Option<PathBuf>,
    reloads: AtomicUsize,
}

impl std::fmt::Debug for KeyringSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringSource")
            .field("current_id", &self.current().current_id())
            .field("file", &self.file)
            .finish()
    }
}

impl From<Keyring> for KeyringSource {
    /// Keys that never change (e.g. `RONDO_SECRET_KEY`).
    fn from(keyring: Keyring) -> Self {
        KeyringSource {
            keyring: RwLock::new(Arc::new(keyring)),
            file: None,
            reloads: AtomicUsize::new(0),
        }
    }
}

impl KeyringSource {
    /// Keys from `path` (created on first start), re-read when needed.
    pub fn from_file(path: &Path) -> Result<Self, SecretError> {
        Ok(KeyringSource {
            file: Some(path.to_path_buf()),
            ..load_or_create_key_file(path)?.into()
        })
    }

    pub fn current(&self) -> Arc<Keyring> {
        self.keyring.read().expect("keyring lock").clone()
    }

    /// How often the key file was re-read.
    pub fn reloads(&self) -> usize {
        self.reloads.load(Ordering::Relaxed)
    }

    pub fn seal(&self, plaintext: &str, context: &SecretContext) -> SealedSecret {
        self.current().seal(plaintext, context)
    }

    /// Opens `sealed`; when its key is unknown, re-reads the key file once and tries again.
    pub fn open(
        &self,
        sealed: &SealedSecret,
        context: &SecretContext,
    ) -> Result<Secret, SecretError> {
        match self.current().open(sealed, context) {
            Err(SecretError::UnknownKeyId(id)) => match &self.file {
                Some(path) => match read_key_file(path) {
                    Ok(fresh) => {
                        let fresh = Arc::new(fresh);
                        *self.keyring.write().expect("keyring lock") = fresh.clone();
                        self.reloads.fetch_add(1, Ordering::Relaxed);
                        tracing::info!(key_id = %id, path = %path.display(), "re-read the key file for a key this server did not have");
                        fresh.open(sealed, context)
                    }
                    Err(error) => {
                        tracing::warn!(%error, "could not re-read the key file");
                        Err(SecretError::UnknownKeyId(id))
                    }
                },
                None => Err(SecretError::UnknownKeyId(id)),
            },
            other => other,
        }
    }
}

/// Reads an existing key file (refusing one that others may read).
pub fn read_key_file(path: &Path) -> Result<Keyring, SecretError> {
    read_existing_key_file(path)?.ok_or_else(|| SecretError::KeyFile {
        path: path.to_path_buf(),
        reason: "does not exist".into(),
    })
}

/// Loads the key file, creating it (mode 0600) with a fresh key on first start.
pub fn load_or_create_key_file(path: &Path) -> Result<Keyring, SecretError> {
    if let Some(keyring) = read_existing_key_file(path)? {
        return Ok(keyring);
    }
    // Two first starts may race here: each writes a complete file under a name of its own and
    // links it into place, which fails if the other was first; the loser uses the winner's.
    let keyring = Keyring::generate();
    let tmp = write_temporary(path, &keyring)?;
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            sync_parent(path);
            tracing::info!(path = %path.display(), "created a new secret key file");
            Ok(keyring)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_existing_key_file(path)?
            .ok_or_else(|| SecretError::KeyFile {
                path: path.to_path_buf(),
                reason: "disappeared while being created".into(),
            }),
        Err(e) => Err(SecretError::KeyFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }),
    }
}

/// Reads an existing key file (`None`: there is none), refusing one other users could read.
fn read_existing_key_file(path: &Path) -> Result<Option<Keyring>, SecretError> {
    let fail = |reason: String| SecretError::KeyFile {
        path: path.to_path_buf(),
        reason,
    };
    match std::fs::metadata(path) {
        Ok(meta) => {
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(fail(format!(
                    "is readable by other users; run: chmod 600 {}",
                    path.display()
                )));
            }
            let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
            Keyring::parse_file(path, &text).map(Some)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(fail(e.to_string())),
    }
}

/// Writes the keyring to a new 0600 file with a unique name next to `path` (in a 0700 directory
/// if it has to be created), flushed to disk.
fn write_temporary(path: &Path, keyring: &Keyring) -> Result<PathBuf, SecretError> {
    let fail = |e: std::io::Error| SecretError::KeyFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(fail)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "secret.key".into());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", new_key_id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(fail)?;
    let written = file
        .write_all(keyring.to_file_text().as_bytes())
        .and_then(|()| file.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    Ok(tmp)
}

/// Makes a new directory entry durable (best effort).
fn sync_parent(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(dir) = std::fs::File::open(dir) {
            let _ = dir.sync_all();
        }
    }
}

/// Writes atomically: a 0600 temporary file (uniquely named, so concurrent writers cannot
/// clobber each other's) renamed over the old one.
pub fn write_key_file(path: &Path, keyring: &Keyring) -> Result<(), SecretError> {
    let tmp = write_temporary(path, keyring)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        SecretError::KeyFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    })?;
    sync_parent(path);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANA: SecretContext = SecretContext {
        user: "user-ana",
        connection: "conn-1",
    };

    #[test]
    fn round_trip_with_fresh_nonces() {
        let keys = Keyring::generate();
        let a = keys.seal("app-password-123", &ANA);
        let b = keys.seal("app-password-123", &ANA);
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
        assert_eq!(
            keys.open(&a, &ANA).unwrap().expose_secret(),
            "app-password-123"
        );
        assert_eq!(SealedSecret::decode(&a.encode()).unwrap(), a);
    }

    #[test]
    fn moved_or_tampered_ciphertexts_fail() {
        let keys = Keyring::generate();
        let sealed = keys.seal("hunter22", &ANA);
        assert_eq!(
            keys.open(
                &sealed,
                &SecretContext {
                    user: "user-bob",
                    connection: "conn-1"
                }
            )
            .unwrap_err(),
            SecretError::WrongKey
        );
        assert_eq!(
            keys.open(
                &sealed,
                &SecretContext {
                    user: "user-ana",
                    connection: "conn-2"
                }
            )
            .unwrap_err(),
            SecretError::WrongKey
        );
        // Length-prefixed: shifting a character between the parts changes the associated data.
        assert_eq!(
            keys.open(
                &sealed,
                &SecretContext {
                    user: "user-an",
                    connection: "aconn-1"
                }
            )
            .unwrap_err(),
            SecretError::WrongKey
        );
        let mut tampered = sealed.clone();
        tampered.ciphertext[0] ^= 1;
        assert_eq!(
            keys.open(&tampered, &ANA).unwrap_err(),
            SecretError::WrongKey
        );
    }

    #[test]
    fn a_different_master_key_is_refused() {
        let sealed = Keyring::generate().seal("secret", &ANA);
        let other = Keyring {
            current: MasterKey::new(&sealed.key_id, random_key()),
            older: Vec::new(),
        };
        assert_eq!(
            other.open(&sealed, &ANA).unwrap_err(),
            SecretError::WrongKey
        );
        assert!(matches!(
            Keyring::generate().open(&sealed, &ANA),
            Err(SecretError::UnknownKeyId(_))
        ));
    }

    #[test]
    fn rotation_keeps_old_ciphertexts_readable() {
        let keys = Keyring::generate();
        let old = keys.seal("token-abc", &ANA);
        let old_id = keys.current_id().to_string();
        let keys = keys.rotated();
        assert_ne!(keys.current_id(), old_id);
        assert_eq!(keys.open(&old, &ANA).unwrap().expose_secret(), "token-abc");
        let resealed = keys.reseal(&old, &ANA).unwrap();
        assert_eq!(resealed.key_id, keys.current_id());
        assert_eq!(
            keys.open(&resealed, &ANA).unwrap().expose_secret(),
            "token-abc"
        );
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/secret.key");
        let first = load_or_create_key_file(&path).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let sealed = first.seal("pw", &ANA);
        let again = load_or_create_key_file(&path).unwrap();
        assert_eq!(again.open(&sealed, &ANA).unwrap().expose_secret(), "pw");
        write_key_file(&path, &again.rotated()).unwrap();
        let rotated = load_or_create_key_file(&path).unwrap();
        assert_eq!(rotated.open(&sealed, &ANA).unwrap().expose_secret(), "pw");
    }

    #[test]
    fn racing_first_starts_agree_on_one_private_key_file() {
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("data/secret.key");
            let start = std::sync::Arc::new(std::sync::Barrier::new(8));
            let racers: Vec<_> = (0..8)
                .map(|_| {
                    let (path, start) = (path.clone(), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        load_or_create_key_file(&path).unwrap()
                    })
                })
                .collect();
            let keyrings: Vec<Keyring> = racers.into_iter().map(|r| r.join().unwrap()).collect();
            let sealed = keyrings[0].seal("pw", &ANA);
            for keyring in &keyrings {
                assert_eq!(keyring.current_id(), keyrings[0].current_id());
                assert_eq!(keyring.open(&sealed, &ANA).unwrap().expose_secret(), "pw");
            }
            let on_disk = load_or_create_key_file(&path).unwrap();
            assert_eq!(on_disk.current_id(), keyrings[0].current_id());
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
            assert_eq!(
                std::fs::metadata(path.parent().unwrap())
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777,
                0o700
            );
            let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(leftovers, vec![std::ffi::OsString::from("secret.key")]);
        }
    }

    #[test]
    fn a_key_rotated_by_another_process_is_picked_up_by_re_reading_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let running = KeyringSource::from_file(&path).unwrap();
        let before = running.seal("old-pw", &ANA);
        // Another process rotates and seals with the new key.
        let rotated = load_or_create_key_file(&path).unwrap().rotated();
        write_key_file(&path, &rotated).unwrap();
        let after = rotated.seal("new-pw", &ANA);
        assert_eq!(running.reloads(), 0);
        assert_eq!(
            running.open(&after, &ANA).unwrap().expose_secret(),
            "new-pw"
        );
        assert_eq!(running.reloads(), 1, "re-read once");
        assert_eq!(running.current().current_id(), rotated.current_id());
        // Known keys need no re-read, old ones included.
        assert_eq!(
            running.open(&before, &ANA).unwrap().expose_secret(),
            "old-pw"
        );
        assert_eq!(
            running.open(&after, &ANA).unwrap().expose_secret(),
            "new-pw"
        );
        assert_eq!(running.reloads(), 1);
        // A key nobody has: one re-read, then the same error as before.
        let stranger = Keyring::generate().seal("x", &ANA);
        assert!(matches!(
            running.open(&stranger, &ANA),
            Err(SecretError::UnknownKeyId(_))
        ));
        assert_eq!(running.reloads(), 2);
        // Fixed keys (RONDO_SECRET_KEY) have no file to re-read.
        let fixed = KeyringSource::from(Keyring::generate());
        assert!(matches!(
            fixed.open(&after, &ANA),
            Err(SecretError::UnknownKeyId(_))
        ));
        assert_eq!(fixed.reloads(), 0);
    }

    #[test]
    fn unsafe_or_broken_key_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let open = dir.path().join("open.key");
        write_key_file(&open, &Keyring::generate()).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(load_or_create_key_file(&open)
            .unwrap_err()
            .to_string()
            .contains("chmod 600"));
        let broken = dir.path().join("broken.key");
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&broken)
            .unwrap()
            .write_all(b"current=k1:c2hvcnQ=\n")
            .unwrap();
        assert!(load_or_create_key_file(&broken)
            .unwrap_err()
            .to_string()
            .contains("32 bytes"));
        assert!(keyring_from_base64("nope").is_err());
        assert!(keyring_from_base64(&STANDARD.encode([7u8; 32])).is_ok());
    }

    #[test]
    fn nothing_secret_is_printed() {
        let keys = Keyring::generate();
        let raw = STANDARD.encode(keys.current.raw.expose_secret());
        let sealed = keys.seal("plain-text-password", &ANA);
        let secret = keys.open(&sealed, &ANA).unwrap();
        for shown in [
            format!("{secret:?}"),
            format!("{sealed:?}"),
            format!("{keys:?}"),
        ] {
            assert!(
                !shown.contains("plain-text-password") && !shown.contains(&raw),
                "{shown}"
            );
        }
    }

    #[test]
    fn garbage_encodings_are_rejected() {
        for text in [
            "",
            "v1",
            "v2.k.AAAA.AAAA",
            "v1..AAAA.AAAA",
            "v1.k.!!!.AAAA",
            "v1.k.AAAA.AAAA",
        ] {
            assert_eq!(
                SealedSecret::decode(text).unwrap_err(),
                SecretError::Encoding,
                "{text}"
            );
        }
    }
}
