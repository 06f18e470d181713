//! Measures fjall and redb on the writes a durable MQTT broker makes: per message a small
//! append to a recipient's queue and, once acknowledged, its delete, committed in groups with
//! one fsync per group; then recovery (open + full scan of 1 M entries) and kill -9 behaviour.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const VALUE_LEN: usize = 200;

/// The two engines behind one small interface.
trait Engine {
    fn open(dir: &Path) -> Self;
    /// Inserts `puts` and removes `dels` in one atomic commit; `sync`: fsync before returning.
    fn commit(&mut self, puts: &[([u8; 16], Vec<u8>)], dels: &[[u8; 16]], sync: bool);
    fn sync(&mut self);
    /// Counts every entry and returns the highest key.
    fn scan(&self) -> (u64, Option<[u8; 16]>);
}

struct Fjall {
    db: fjall::Database,
    ks: fjall::Keyspace,
}

impl Engine for Fjall {
    fn open(dir: &Path) -> Self {
        let db = fjall::Database::builder(dir).open().unwrap();
        let ks = db
            .keyspace("queue", fjall::KeyspaceCreateOptions::default)
            .unwrap();
        Fjall { db, ks }
    }
    fn commit(&mut self, puts: &[([u8; 16], Vec<u8>)], dels: &[[u8; 16]], sync: bool) {
        let mut batch = self.db.batch();
        for (k, v) in puts {
            batch.insert(&self.ks, k.as_slice(), v.as_slice());
        }
        for k in dels {
            batch.remove(&self.ks, k.as_slice());
        }
        batch.commit().unwrap();
        if sync {
            self.sync();
        }
    }
    fn sync(&mut self) {
        self.db.persist(fjall::PersistMode::SyncAll).unwrap();
    }
    fn scan(&self) -> (u64, Option<[u8; 16]>) {
        let mut n = 0;
        let mut last = None;
        for guard in self.ks.iter() {
            let (k, _v) = guard.into_inner().unwrap();
            n += 1;
            last = Some(<[u8; 16]>::try_from(&k[..]).unwrap());
        }
        (n, last)
    }
}

struct Redb {
    db: redb::Database,
}

const TABLE: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("queue");

impl Engine for Redb {
    fn open(dir: &Path) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let db = redb::Database::create(dir.join("data.redb")).unwrap();
        Redb { db }
    }
    fn commit(&mut self, puts: &[([u8; 16], Vec<u8>)], dels: &[[u8; 16]], sync: bool) {
        let mut tx = self.db.begin_write().unwrap();
        tx.set_durability(if sync {
            redb::Durability::Immediate
        } else {
            redb::Durability::None
        })
        .unwrap();
        {
            let mut table = tx.open_table(TABLE).unwrap();
            for (k, v) in puts {
                table.insert(k.as_slice(), v.as_slice()).unwrap();
            }
            for k in dels {
                table.remove(k.as_slice()).unwrap();
            }
        }
        tx.commit().unwrap();
    }
    fn sync(&mut self) {
        let tx = self.db.begin_write().unwrap();
        tx.commit().unwrap();
    }
    fn scan(&self) -> (u64, Option<[u8; 16]>) {
        use redb::{ReadableDatabase, ReadableTable};
        let tx = self.db.begin_read().unwrap();
        let Ok(table) = tx.open_table(TABLE) else {
            return (0, None);
        };
        let mut n = 0;
        let mut last = None;
        for item in table.iter().unwrap() {
            let (k, _v) = item.unwrap();
            n += 1;
            last = Some(<[u8; 16]>::try_from(k.value()).unwrap());
        }
        (n, last)
    }
}

fn key(session: u64, seq: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&session.to_be_bytes());
    k[8..].copy_from_slice(&seq.to_be_bytes());
    k
}

fn value(seq: u64) -> Vec<u8> {
    let mut v = vec![0x5au8; VALUE_LEN];
    v[..8].copy_from_slice(&seq.to_le_bytes());
    v
}

fn fresh(root: &Path, name: &str) -> PathBuf {
    let dir = root.join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Appends `total` messages (10 recipients round robin) in groups of `group`, each group one
/// fsync'd commit; then deletes them in the same groups (the acknowledgements).
fn appends_and_deletes<E: Engine>(root: &Path, name: &str, group: usize, total: u64) {
    let dir = fresh(root, name);
    let mut db = E::open(&dir);
    let keys: Vec<[u8; 16]> = (0..total).map(|i| key(i % 10, i)).collect();
    let start = Instant::now();
    for chunk in keys.chunks(group) {
        let puts: Vec<_> = chunk
            .iter()
            .map(|k| (*k, value(u64::from(k[15]))))
            .collect();
        db.commit(&puts, &[], true);
    }
    let put_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    for chunk in keys.chunks(group) {
        db.commit(&[], chunk, true);
    }
    let del_s = start.elapsed().as_secs_f64();
    // Steady state: each commit appends a group and deletes the group before it.
    let start = Instant::now();
    let mut previous: Vec<[u8; 16]> = Vec::new();
    for chunk in keys.chunks(group) {
        let puts: Vec<_> = chunk.iter().map(|k| (*k, value(1))).collect();
        db.commit(&puts, &previous, true);
        previous = chunk.to_vec();
    }
    let churn_s = start.elapsed().as_secs_f64();
    let t = total as f64;
    println!(
        "{name:<6} group {group:>4}: append {:>9.0}/s  delete {:>9.0}/s  append+delete {:>9.0}/s  ({} commits each)",
        t / put_s,
        t / del_s,
        t / churn_s,
        total.div_ceil(group as u64)
    );
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes `total` entries, closes, reopens and scans them all.
fn recovery<E: Engine>(root: &Path, name: &str, total: u64) {
    let dir = fresh(root, name);
    let size;
    {
        let mut db = E::open(&dir);
        let start = Instant::now();
        let mut seq = 0;
        while seq < total {
            let puts: Vec<_> = (seq..(seq + 1000).min(total))
                .map(|i| (key(i % 1000, i), value(i)))
                .collect();
            db.commit(&puts, &[], false);
            seq += 1000;
        }
        db.sync();
        println!(
            "{name:<6} wrote {total} entries in {:.2}s",
            start.elapsed().as_secs_f64()
        );
    }
    size = dir_size(&dir);
    let start = Instant::now();
    let db = E::open(&dir);
    let opened = start.elapsed();
    let (n, _) = db.scan();
    let scanned = start.elapsed();
    println!(
        "{name:<6} recovery of {n} entries: open {:.3}s, open+scan {:.3}s, {:.0} MB on disk",
        opened.as_secs_f64(),
        scanned.as_secs_f64(),
        size as f64 / 1e6
    );
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let meta = entry.metadata().unwrap();
        total += if meta.is_dir() {
            dir_size(&entry.path())
        } else {
            meta.len()
        };
    }
    total
}

/// Child mode: appends groups of 64 with fsync forever, printing the last sequence committed.
fn writer<E: Engine>(dir: &Path) {
    let mut db = E::open(dir);
    let mut seq = 0u64;
    loop {
        let puts: Vec<_> = (seq..seq + 64).map(|i| (key(0, i), value(i))).collect();
        db.commit(&puts, &[], true);
        seq += 64;
        println!("{}", seq - 1);
    }
}

/// Kills a writer child with SIGKILL at several points and checks every acknowledged entry
/// survived.
fn kill9<E: Engine>(root: &Path, name: &str, rounds: u32) {
    let dir = fresh(root, name);
    let me = std::env::current_exe().unwrap();
    let mut worst_open = Duration::ZERO;
    for round in 0..rounds {
        let mut child = Command::new(&me)
            .args(["writer", name, dir.to_str().unwrap()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut acknowledged = None;
        let stop_after = 50 + u64::from(round) * 37;
        for _ in 0..stop_after {
            match lines.next() {
                Some(Ok(line)) => acknowledged = Some(line.parse::<u64>().unwrap()),
                _ => break,
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let start = Instant::now();
        let db = E::open(&dir);
        worst_open = worst_open.max(start.elapsed());
        let (n, last) = db.scan();
        let last = last.map(|k| u64::from_be_bytes(k[8..].try_into().unwrap()));
        let ok = match (acknowledged, last) {
            (Some(a), Some(l)) => l >= a,
            (None, _) => true,
            (Some(_), None) => false,
        };
        assert!(
            ok,
            "{name}: lost acknowledged writes: acknowledged {acknowledged:?}, found {last:?}"
        );
        drop(db);
        let _ = n;
        // The next round appends after what is there (keys restart at 0 and overwrite).
    }
    println!(
        "{name:<6} kill -9: {rounds} rounds, every acknowledged write found; slowest reopen {:.3}s",
        worst_open.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("writer") {
        let dir = PathBuf::from(&args[3]);
        match args[2].as_str() {
            "fjall" => writer::<Fjall>(&dir),
            _ => writer::<Redb>(&dir),
        }
        return;
    }
    let root = PathBuf::from(args.get(1).cloned().unwrap_or_else(|| "spike-data".into()));
    std::fs::create_dir_all(&root).unwrap();
    for (group, total) in [(1usize, 2_000u64), (64, 100_000), (512, 400_000)] {
        appends_and_deletes::<Fjall>(&root, "fjall", group, total);
        appends_and_deletes::<Redb>(&root, "redb", group, total);
    }
    recovery::<Fjall>(&root, "fjall", 1_000_000);
    recovery::<Redb>(&root, "redb", 1_000_000);
    kill9::<Fjall>(&root, "fjall", 5);
    kill9::<Redb>(&root, "redb", 5);
}
