//! Group commit against a backend the test controls: batching, durability modes, failures.
#![allow(clippy::unwrap_used)] // Tests fail loudly on a broken fixture.

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hermod_store::{
    Backend, Committer, Durability, FjallBackend, Op, Space, StoreError, TicketState,
};

const BOUND: Duration = Duration::from_secs(10);

/// What the test can see of and do to the backend while the committer owns it.
#[derive(Debug, Default)]
struct Control {
    data: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Applied but not synced keys are in `data` too; `synced` holds the durable copy.
    synced: BTreeMap<Vec<u8>, Vec<u8>>,
    fail: bool,
    applies: u32,
}

#[derive(Debug)]
struct TestBackend {
    control: Arc<Mutex<Control>>,
    /// Told when an apply starts; the apply then waits for a go from `gate`, if any.
    entered: Option<Sender<()>>,
    gate: Option<Receiver<()>>,
    synced_signal: Option<Sender<()>>,
}

impl Backend for TestBackend {
    fn apply(&mut self, ops: &[Op]) -> Result<(), StoreError> {
        if let Some(entered) = &self.entered {
            let _ = entered.send(());
        }
        if let Some(gate) = &self.gate {
            let _ = gate.recv_timeout(BOUND);
        }
        let mut control = self.control.lock().unwrap();
        control.applies += 1;
        if control.fail {
            return Err(StoreError::engine(std::io::Error::other(
                "disk full (test)",
            )));
        }
        for op in ops {
            match op {
                Op::Put { key, value, .. } => {
                    control.data.insert(key.clone(), value.clone());
                }
                Op::Delete { key, .. } => {
                    control.data.remove(key);
                }
                Op::DeletePrefix { prefix, .. } => {
                    control.data.retain(|key, _| !key.starts_with(prefix))
                }
            }
        }
        Ok(())
    }

    fn sync(&mut self) -> Result<(), StoreError> {
        let mut control = self.control.lock().unwrap();
        if control.fail {
            return Err(StoreError::engine(std::io::Error::other(
                "disk failed (test)",
            )));
        }
        control.synced = control.data.clone();
        drop(control);
        if let Some(signal) = &self.synced_signal {
            let _ = signal.send(());
        }
        Ok(())
    }

    fn scan(
        &self,
        _space: Space,
        prefix: &[u8],
    ) -> Result<hermod_store::backend::Entries, StoreError> {
        let control = self.control.lock().unwrap();
        Ok(control
            .data
            .iter()
            .filter(|(key, _)| key.starts_with(prefix))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect())
    }
}

fn backend(control: &Arc<Mutex<Control>>) -> TestBackend {
    TestBackend {
        control: Arc::clone(control),
        entered: None,
        gate: None,
        synced_signal: None,
    }
}

fn put(key: u32) -> Op {
    Op::Put {
        space: Space::Queue,
        key: key.to_be_bytes().to_vec(),
        value: b"message".to_vec(),
    }
}

#[test]
fn submissions_made_during_a_commit_share_the_next_fsync() {
    let control = Arc::new(Mutex::new(Control::default()));
    let (entered_tx, entered) = channel();
    let (go, gate) = channel();
    let mut first = backend(&control);
    first.entered = Some(entered_tx);
    first.gate = Some(gate);
    let committer = Committer::start(Box::new(first), Durability::Sync).unwrap();

    let lone = committer.submit([put(0)]);
    entered.recv_timeout(BOUND).unwrap();
    // The writer is inside the first batch: these 100 gather into the second one.
    let tickets: Vec<_> = (1..=100).map(|key| committer.submit([put(key)])).collect();
    assert_eq!(committer.state(lone), TicketState::Pending);
    go.send(()).unwrap();
    assert_eq!(committer.wait(lone), TicketState::Durable);
    entered.recv_timeout(BOUND).unwrap();
    go.send(()).unwrap();
    for ticket in &tickets {
        assert_eq!(committer.wait(*ticket), TicketState::Durable);
    }
    let stats = committer.stats();
    assert_eq!((stats.batches, stats.syncs, stats.ops), (2, 2, 101));
    assert_eq!(control.lock().unwrap().synced.len(), 101);
}

#[test]
fn a_failing_disk_fails_the_batch_raises_a_fault_and_recovers_without_losing_it() {
    let control = Arc::new(Mutex::new(Control {
        fail: true,
        ..Control::default()
    }));
    let committer = Committer::start(Box::new(backend(&control)), Durability::Sync).unwrap();
    let ticket = committer.submit([put(1), put(2)]);
    assert_eq!(committer.wait(ticket), TicketState::Failed);
    let fault = committer.fault().unwrap();
    assert!(fault.to_string().contains("disk full"), "{fault}");

    control.lock().unwrap().fail = false;
    let later = committer.submit([put(3)]);
    assert_eq!(committer.wait(later), TicketState::Durable);
    // The failed batch was retried first: its writes are there, and its ticket is durable.
    assert_eq!(committer.state(ticket), TicketState::Durable);
    assert!(committer.fault().is_none());
    assert_eq!(control.lock().unwrap().synced.len(), 3);
}

#[test]
fn periodic_mode_acknowledges_on_apply_and_syncs_on_its_interval() {
    let control = Arc::new(Mutex::new(Control::default()));
    let (synced_tx, synced) = channel();
    let mut periodic = backend(&control);
    periodic.synced_signal = Some(synced_tx);
    let committer = Committer::start(
        Box::new(periodic),
        Durability::Periodic(Duration::from_millis(20)),
    )
    .unwrap();
    let ticket = committer.submit([put(1)]);
    assert_eq!(committer.wait(ticket), TicketState::Durable);
    synced.recv_timeout(BOUND).unwrap();
    // The backend's durable copy has it (the writer counts the sync just after).
    assert_eq!(control.lock().unwrap().synced.len(), 1);
}

#[test]
fn closing_writes_and_syncs_what_was_submitted() {
    let root = tempfile::tempdir().unwrap();
    {
        let backend = FjallBackend::open(root.path()).unwrap();
        let committer = Committer::start(
            Box::new(backend),
            Durability::Periodic(Duration::from_secs(3600)),
        )
        .unwrap();
        for key in 0..1000 {
            committer.submit([put(key)]);
        }
    }
    let backend = FjallBackend::open(root.path()).unwrap();
    assert_eq!(backend.scan(Space::Queue, b"").unwrap().len(), 1000);
}
