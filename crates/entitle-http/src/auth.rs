//! Bearer tokens and roles.
//!
//! A token is 256 random bits, shown once when it is created. The tokens
//! file keeps only its SHA-256 hash, with an id, a role and the creation
//! time; the server hashes the presented token and compares it with every
//! stored hash in constant time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// Who a caller is. The role is also the `actor` of role-sensitive policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Reads the policy catalog and the decision log; cannot decide.
    Reader,
    /// A support engineer.
    SupportEngineer,
    /// A support manager.
    SupportManager,
    /// The Licensing & Renewals team.
    LrTeam,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [
        Role::Reader,
        Role::SupportEngineer,
        Role::SupportManager,
        Role::LrTeam,
    ];

    /// The public id (`support-engineer`).
    pub fn id(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::SupportEngineer => "support-engineer",
            Role::SupportManager => "support-manager",
            Role::LrTeam => "lr-team",
        }
    }

    /// Whether the role may ask for decisions (every role but `reader`).
    pub fn may_decide(self) -> bool {
        self != Role::Reader
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl std::str::FromStr for Role {
    type Err = TokenError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.id() == s)
            .ok_or_else(|| TokenError::UnknownRole(s.to_owned()))
    }
}

/// One stored token: never the token itself, only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRecord {
    /// Public id, used to list and revoke (`tok-3f9a1c07`).
    pub id: String,
    /// The role the token grants.
    pub role: Role,
    /// Lower-case hex SHA-256 of the token.
    pub sha256: String,
    /// When the token was created (RFC 3339).
    pub created_at: String,
}

/// The tokens file: `{"tokens": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenFile {
    /// The tokens, oldest first.
    pub tokens: Vec<TokenRecord>,
}

/// A tokens file that could not be used.
#[derive(Debug, Error)]
pub enum TokenError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not a valid tokens file.
    #[error("{path}: not a valid tokens file: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// No such role.
    #[error("unknown role `{0}`; roles: reader, support-engineer, support-manager, lr-team")]
    UnknownRole(String),
    /// No token has this id.
    #[error("no token has the id `{0}`")]
    UnknownId(String),
    /// The system's random source failed.
    #[error("cannot read random bytes: {0}")]
    Random(String),
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a `String` cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    let digit = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let &[high, low] = pair else {
            return None;
        };
        *slot = (digit(high)? << 4) | digit(low)?;
    }
    Some(out)
}

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], TokenError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| TokenError::Random(e.to_string()))?;
    Ok(buf)
}

pub(crate) fn sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Compares two hashes without an early exit, so the time taken does not
/// tell how many leading bytes matched.
pub(crate) fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b.iter()) {
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

impl TokenFile {
    /// Reads `path`; a file that does not exist is an empty tokens file.
    pub fn load(path: &Path) -> Result<Self, TokenError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(TokenError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let file: TokenFile = serde_json::from_str(&text).map_err(|e| TokenError::Invalid {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        for record in &file.tokens {
            if unhex(&record.sha256).is_none() {
                return Err(TokenError::Invalid {
                    path: path.to_owned(),
                    message: format!("token `{}`: `sha256` is not 64 hex digits", record.id),
                });
            }
        }
        Ok(file)
    }

    /// Writes the file atomically (a temporary file renamed over it), readable
    /// by its owner only where the platform supports it.
    pub fn save(&self, path: &Path) -> Result<(), TokenError> {
        let io = |source| TokenError::Io {
            path: path.to_owned(),
            source,
        };
        let mut text = serde_json::to_string_pretty(self).map_err(|e| TokenError::Invalid {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        text.push('\n');
        // A fresh file in the same directory, created exclusively (never an
        // existing file or a planted symlink) with mode 0600, then renamed
        // over `path`.
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let mut tmp = tempfile::Builder::new()
            .prefix(".tokens.")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| {
                // tempfile's message names the temporary file; the user
                // knows the directory.
                io(std::io::Error::new(
                    e.kind(),
                    format!("cannot create a file in {}: {}", dir.display(), e.kind()),
                ))
            })?;
        use std::io::Write as _;
        tmp.write_all(text.as_bytes()).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(io)?;
        }
        tmp.persist(path).map_err(|e| io(e.error))?;
        Ok(())
    }

    /// A read-modify-write of the tokens file at `path` under an exclusive
    /// advisory lock: loads it, applies `change`, saves it (when `change`
    /// succeeds), and only then returns `change`'s result. Two `entitle
    /// tokens` commands at once each see the other's change: without the
    /// lock a `revoke` beside an `add` could be undone (the `add` saved the
    /// file as it read it, token included) and concurrent `add`s printed
    /// tokens that were never saved.
    ///
    /// The lock is `flock` on a file beside it, `<path>.lock` (the tokens
    /// file itself is replaced by a rename on every save, so a lock on it
    /// would be on a file no longer there). It is advisory: a server
    /// reading the file takes no lock and needs none, as a save is atomic.
    /// A lock file that is a symbolic link is refused.
    pub fn update<T>(
        path: &Path,
        change: impl FnOnce(&mut TokenFile) -> Result<T, TokenError>,
    ) -> Result<T, TokenError> {
        let _lock = lock_beside(path)?;
        let mut file = Self::load(path)?;
        let out = change(&mut file)?;
        file.save(path)?;
        Ok(out)
    }

    /// Creates a token for `role` at `now`: returns the token (to show once)
    /// and adds its record.
    pub fn add(
        &mut self,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<(String, TokenRecord), TokenError> {
        let secret = random_bytes::<32>()?;
        let token = format!("ent_{}", hex(&secret));
        let id = loop {
            let id = format!("tok-{}", hex(&random_bytes::<4>()?));
            if !self.tokens.iter().any(|t| t.id == id) {
                break id;
            }
        };
        let record = TokenRecord {
            id,
            role,
            sha256: hex(&sha256(&token)),
            created_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        };
        self.tokens.push(record.clone());
        Ok((token, record))
    }

    /// Removes the token `id`.
    pub fn revoke(&mut self, id: &str) -> Result<TokenRecord, TokenError> {
        let index = self
            .tokens
            .iter()
            .position(|t| t.id == id)
            .ok_or_else(|| TokenError::UnknownId(id.to_owned()))?;
        Ok(self.tokens.remove(index))
    }
}

/// Opens `<path>.lock` (created with mode 0600 if need be) and takes an
/// exclusive `flock` on it, waiting for another holder; the lock goes with
/// the returned file.
fn lock_beside(path: &Path) -> Result<std::fs::File, TokenError> {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".lock");
    let lock_path = path.with_file_name(name);
    let io = |source| TokenError::Io {
        path: lock_path.clone(),
        source,
    };
    if std::fs::symlink_metadata(&lock_path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(io(std::io::Error::other(
            "the lock file is a symbolic link: remove it",
        )));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let file = options.open(&lock_path).map_err(io)?;
    #[cfg(unix)]
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)
        .map_err(|e| io(e.into()))?;
    Ok(file)
}

/// The tokens a server accepts, hashed.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    entries: Vec<([u8; 32], Role, String)>,
}

impl Tokens {
    /// The tokens of a tokens file.
    pub fn from_file(file: &TokenFile) -> Self {
        Self {
            entries: file
                .tokens
                .iter()
                .filter_map(|t| unhex(&t.sha256).map(|h| (h, t.role, t.id.clone())))
                .collect(),
        }
    }

    /// How many tokens.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No tokens at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The role and id of `token`, if it is one of these. Every stored hash
    /// is compared, in constant time each.
    pub fn verify(&self, token: &str) -> Option<(Role, &str)> {
        self.verify_hash(&sha256(token))
    }

    /// The role and id of the token whose SHA-256 is `presented`, if it is
    /// one of these (a console session checks its token is still valid).
    pub fn verify_hash(&self, presented: &[u8; 32]) -> Option<(Role, &str)> {
        let mut found = None;
        for (hash, role, id) in &self.entries {
            if constant_time_eq(hash, presented) && found.is_none() {
                found = Some((*role, id.as_str()));
            }
        }
        found
    }
}

/// The tokens of a file, reloaded when the file changes (so `entitle tokens
/// add|revoke` takes effect on a running server within a couple of seconds).
#[derive(Debug, Clone)]
pub struct TokenSource {
    path: Option<PathBuf>,
    current: Arc<RwLock<(Arc<Tokens>, Option<SystemTime>)>>,
}

impl TokenSource {
    /// Fixed tokens, never reloaded (tests, embedding).
    pub fn fixed(tokens: Tokens) -> Self {
        Self {
            path: None,
            current: Arc::new(RwLock::new((Arc::new(tokens), None))),
        }
    }

    /// The tokens of `path` (none if it does not exist yet).
    pub fn from_path(path: &Path) -> Result<Self, TokenError> {
        let modified = modified(path);
        let file = TokenFile::load(path)?;
        Ok(Self {
            path: Some(path.to_owned()),
            current: Arc::new(RwLock::new((Arc::new(Tokens::from_file(&file)), modified))),
        })
    }

    /// The file, if the tokens come from one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The tokens now.
    pub fn get(&self) -> Arc<Tokens> {
        match self.current.read() {
            Ok(guard) => guard.0.clone(),
            Err(poisoned) => poisoned.into_inner().0.clone(),
        }
    }

    /// Reloads the file if its modification time changed. A file that has
    /// become invalid keeps the tokens loaded before (and says so).
    pub fn reload_if_changed(&self) -> Result<bool, TokenError> {
        let Some(path) = &self.path else {
            return Ok(false);
        };
        let now_modified = modified(path);
        let last = match self.current.read() {
            Ok(guard) => guard.1,
            Err(poisoned) => poisoned.into_inner().1,
        };
        if now_modified == last {
            return Ok(false);
        }
        let file = TokenFile::load(path)?;
        let tokens = Arc::new(Tokens::from_file(&file));
        match self.current.write() {
            Ok(mut guard) => *guard = (tokens, now_modified),
            Err(poisoned) => *poisoned.into_inner() = (tokens, now_modified),
        }
        Ok(true)
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_verify_revoke() {
        let mut file = TokenFile::default();
        let (token, record) = file.add(Role::SupportManager, Utc::now()).unwrap();
        assert!(token.starts_with("ent_") && token.len() == 68);
        assert!(!serde_json::to_string(&file).unwrap().contains(&token));
        let tokens = Tokens::from_file(&file);
        assert_eq!(
            tokens.verify(&token),
            Some((Role::SupportManager, record.id.as_str()))
        );
        assert_eq!(tokens.verify("ent_nope"), None);
        file.revoke(&record.id).unwrap();
        assert_eq!(Tokens::from_file(&file).verify(&token), None);
        assert!(file.revoke(&record.id).is_err());
    }

    #[test]
    fn hex_round_trip() {
        let h = sha256("x");
        assert_eq!(unhex(&hex(&h)), Some(h));
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(unhex("zz"), None);
        // 64 bytes but not all hex digits, and 64 bytes of multi-byte text.
        assert_eq!(unhex(&format!("{}g", "0".repeat(63))), None);
        assert_eq!(unhex(&"é".repeat(32)), None);
    }
}
