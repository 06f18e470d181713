//! CONNECT: version and client identifier rules, keep alive, session takeover and resumption,
//! and the CONNACK.

use std::hash::BuildHasher;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hermod_codec::{ConnAck, Connect, MqttString, Packet, ProtocolVersion, ReasonCode, TopicName};

use super::{Connection, PendingWill, Phase};
use crate::broker::TimerEvent;
use crate::message::Message;
use crate::session::SessionCell;
use crate::stats::Stats;
use crate::violation::Violation;

/// Longest client identifier MQTT 3.1 allows (its spec: 1 to 23 characters).
const MQTT_3_1_MAX_CLIENT_ID: usize = 23;

impl Connection {
    pub(super) fn handle_connect(
        &mut self,
        now: Instant,
        connect: Connect,
    ) -> Result<(), Violation> {
        self.version = connect.protocol;
        // Known before any answer, a refusal included (MQTT-3.1.2-24).
        self.client_max_packet_size = connect
            .properties
            .maximum_packet_size
            .map_or(super::NO_PACKET_SIZE_LIMIT, |size| size.get());
        let config = self.broker.config().clone();
        if self.broker.is_shutting_down() {
            self.refuse(now, ReasonCode::SERVER_UNAVAILABLE);
            return Ok(());
        }
        if connect.properties.authentication_method.is_some() {
            // Enhanced authentication (AUTH) is not offered (MQTT 5.0 section 4.12).
            self.refuse(now, ReasonCode::BAD_AUTHENTICATION_METHOD);
            return Ok(());
        }
        if let Some(will) = &connect.will {
            if let Err(error) = will.check_payload_format() {
                self.refuse(now, error.reason_code());
                return Ok(());
            }
            if !config.topic_within_limits(will.topic.as_str()) {
                self.refuse(now, ReasonCode::TOPIC_NAME_INVALID);
                return Ok(());
            }
        }

        // Client identifier (MQTT-3.1.3-6/-7/-8): an empty one gets an assigned identifier
        // in 5.0, is accepted in 3.1.1 only with a clean session, and is refused in 3.1.
        let mut assigned = None;
        let client_id = if connect.client_id.is_empty() {
            let allowed = match connect.protocol {
                ProtocolVersion::V5 => true,
                ProtocolVersion::V3_1_1 => connect.clean_start,
                ProtocolVersion::V3_1 => false,
            };
            if !allowed {
                self.refuse(now, ReasonCode::CLIENT_IDENTIFIER_NOT_VALID);
                return Ok(());
            }
            // Unguessable (SipHash with the process's random keys) so that no other client can
            // aim a takeover at it; unique through the connection id.
            let random = std::collections::hash_map::RandomState::new().hash_one(self.id);
            let id = MqttString::new(&format!("hermod-{random:016x}-{:x}", self.id))
                .map_err(Violation::Decode)?;
            if connect.protocol.is_v5() {
                assigned = Some(id.clone());
            }
            id
        } else {
            if connect.protocol == ProtocolVersion::V3_1
                && connect.client_id.as_str().chars().count() > MQTT_3_1_MAX_CLIENT_ID
            {
                self.refuse(now, ReasonCode::CLIENT_IDENTIFIER_NOT_VALID);
                return Ok(());
            }
            // Copied out of the read buffer: a slice would keep the whole buffer alive for as
            // long as the session lives.
            detach_string(&connect.client_id)
        };

        // Keep alive: MQTT 5 clients are told the maximum (Server Keep Alive) when they ask
        // for more or for 0; 3.x clients cannot be told, so asking for more is refused (as
        // Mosquitto does) and 0 is honoured.
        let max_keep_alive = config.max_keep_alive.as_secs().min(u64::from(u16::MAX)) as u16;
        let requested = connect.keep_alive;
        let mut server_keep_alive = None;
        let keep_alive = if connect.protocol.is_v5() {
            if (requested == 0 || requested > max_keep_alive) && max_keep_alive > 0 {
                server_keep_alive = Some(max_keep_alive);
                max_keep_alive
            } else {
                requested
            }
        } else {
            if max_keep_alive > 0 && requested > max_keep_alive {
                self.refuse(now, ReasonCode::CLIENT_IDENTIFIER_NOT_VALID);
                return Ok(());
            }
            requested
        };
        self.keep_alive_secs = keep_alive;

        // Session expiry: 5.0 from the property (capped), 3.x from Clean Session.
        let (expiry, expiry_capped) = if connect.protocol.is_v5() {
            let requested = connect.properties.session_expiry_interval.unwrap_or(0);
            let requested = Duration::from_secs(u64::from(requested));
            if requested > config.max_session_expiry {
                (config.max_session_expiry, true)
            } else {
                (requested, false)
            }
        } else if connect.clean_start {
            (Duration::ZERO, false)
        } else {
            (config.session_expiry_v3, false)
        };
        // What the client asked for decides whether DISCONNECT may set an expiry
        // (MQTT 5.0 section 3.14.2.2.2), not the value the broker capped it to.
        self.connect_expiry_zero = if connect.protocol.is_v5() {
            connect.properties.session_expiry_interval.unwrap_or(0) == 0
        } else {
            expiry.is_zero()
        };

        let session_present = self.attach_session(now, client_id, connect.clean_start, expiry);
        self.phase = Phase::Active;

        // What the client accepts from us.
        self.send_window = connect
            .properties
            .receive_maximum
            .map_or(u16::MAX, |maximum| maximum.get());
        self.client_topic_alias_maximum = connect.properties.topic_alias_maximum.unwrap_or(0);
        self.request_problem_information = connect
            .properties
            .request_problem_information
            .unwrap_or(true);

        if let Some(will) = connect.will {
            let delay =
                Duration::from_secs(u64::from(will.properties.will_delay_interval.unwrap_or(0)));
            let mut properties = hermod_codec::PublishProperties {
                payload_format: will.properties.payload_format,
                message_expiry_interval: None,
                topic_alias: None,
                metadata: None,
            };
            let has_metadata = will.properties.response_topic.is_some()
                || will.properties.correlation_data.is_some()
                || will.properties.content_type.is_some()
                || !will.properties.user_properties.is_empty();
            if has_metadata {
                let metadata = properties.metadata_mut();
                metadata.response_topic = will.properties.response_topic;
                metadata.correlation_data = will.properties.correlation_data;
                metadata.content_type = will.properties.content_type;
                metadata.user_properties = will.properties.user_properties;
            }
            self.will = Some(Box::new(PendingWill {
                message: Message {
                    topic: TopicName::from_string(detach_string(will.topic.as_mqtt_string()))
                        .unwrap_or(will.topic),
                    payload: bytes::Bytes::copy_from_slice(&will.payload),
                    qos: will.qos,
                    retain: will.retain,
                    properties,
                    publisher: None,
                    publisher_client_id: self.client_id().clone(),
                    // Set when published: the will's expiry counts from then.
                    expires_at: None,
                    encoded: Default::default(),
                },
                delay,
                expiry_interval: will.properties.message_expiry_interval,
            }));
        }

        self.record_session();

        let mut connack = ConnAck::new(ReasonCode::SUCCESS, session_present);
        if connect.protocol.is_v5() {
            let properties = &mut connack.properties;
            properties.receive_maximum = Some(config.receive_maximum);
            properties.maximum_packet_size = NonZeroU32::new(config.max_packet_size);
            properties.topic_alias_maximum =
                (config.topic_alias_maximum > 0).then_some(config.topic_alias_maximum);
            properties.assigned_client_identifier = assigned;
            properties.server_keep_alive = server_keep_alive;
            if expiry_capped {
                properties.session_expiry_interval =
                    Some(u32::try_from(expiry.as_secs()).unwrap_or(u32::MAX));
            }
            if connect.properties.request_response_information == Some(true) {
                properties.response_information =
                    MqttString::new(&format!("response/{}", self.client_id())).ok();
            }
        }
        self.send(&Packet::ConnAck(Box::new(connack)));
        Stats::bump(&self.broker.stats().connections);
        tracing::info!(
            conn = self.id,
            peer = %self.peer,
            client_id = %self.client_id(),
            version = %self.version,
            session_present,
            keep_alive,
            "connected"
        );
        // Resume what the session had in flight (DUP) before anything new.
        self.resend_inflight(now);
        Ok(())
    }

    /// Refuses CONNECT with a CONNACK carrying `reason` (mapped to a 3.x return code where
    /// needed) and closes (MQTT-3.2.2-7).
    pub(super) fn refuse(&mut self, _now: Instant, reason: ReasonCode) {
        tracing::info!(conn = self.id, peer = %self.peer, %reason, "connection refused");
        if self.phase == Phase::AwaitingConnect && reason != ReasonCode::SUCCESS {
            let mut connack = ConnAck::new(reason, false);
            if self.version.is_v5() {
                connack.properties.reason_string =
                    super::reason_string(self.close_text.take(), reason);
            }
            self.send(&Packet::ConnAck(Box::new(connack)));
        }
        self.phase = Phase::Closed;
        self.close = Some(super::CloseReason::Refused(reason));
    }

    /// Finds, takes over or creates the session for `client_id`. Returns Session Present.
    fn attach_session(
        &mut self,
        now: Instant,
        client_id: MqttString,
        clean_start: bool,
        expiry: Duration,
    ) -> bool {
        let broker = self.broker.clone();
        let _attach = broker.attach_lock();
        let existing = broker.sessions().get(&client_id);
        if let Some(session) = existing {
            if clean_start {
                // MQTT-3.1.2-4: discard the old session and start a new one.
                self.take_over(&session);
                broker.discard_session(now, &session);
            } else {
                let resumed = {
                    let mut state = session.lock();
                    if state.discarded {
                        false
                    } else {
                        if let Some(waker) = take_over_state(&mut state, self.id) {
                            waker.wake();
                        }
                        state.expiry = expiry;
                        state.generation += 1;
                        // Overflow while no connection was attached is not this
                        // connection's to answer for (the Disconnect policy).
                        state.take_dropped();
                        true
                    }
                };
                if resumed {
                    // A delayed will of the previous connection is cancelled by this
                    // reconnection (MQTT-3.1.3-9): timers check the generation.
                    cancel_timers_for(&broker, &session);
                    self.session = Some(session);
                    return true;
                }
            }
        }
        let session = Arc::new(SessionCell::new(broker.next_id(), client_id, expiry));
        session.lock().owner = Some(self.id);
        broker.sessions().insert(Arc::clone(&session));
        self.session = Some(session);
        false
    }

    /// Records the attached session (new or resumed) in the store with this connection's
    /// will, which is published after a restart if the broker stops while the client is
    /// connected.
    fn record_session(&self) {
        let Some(session) = &self.session else {
            return;
        };
        if self.broker.inner.persistence.is_none() {
            return;
        }
        let mut state = session.lock();
        if state.expiry.is_zero() && !state.persisted {
            return;
        }
        let will = self.will.as_ref().map(|will| crate::persist::StoredWill {
            message: Arc::new(will.message.detached()),
            delay: will.delay,
            publish_at: None,
        });
        state.set_expires_at(None);
        self.broker
            .persist_session(session, &mut state, self.version, will);
    }

    /// Takes a session away from the connection holding it (which closes with 0x8E).
    fn take_over(&self, session: &Arc<SessionCell>) {
        let waker = take_over_state(&mut session.lock(), self.id);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Marks the session as owned by `connection`; returns the previous owner's waker so it can
/// notice the takeover.
fn take_over_state(
    state: &mut crate::session::SessionState,
    connection: u64,
) -> Option<std::task::Waker> {
    let previous = state.owner.replace(connection);
    let waker = state.waker.take();
    if previous.is_some() && previous != Some(connection) {
        tracing::info!(connection, "session taken over");
    }
    waker
}

/// Drops pending timers of a session that reconnected (its delayed will and expiry).
fn cancel_timers_for(broker: &crate::broker::Broker, session: &Arc<SessionCell>) {
    broker.timers().retain(|_, event| match event {
        TimerEvent::Will { session: owner, .. }
        | TimerEvent::ExpireSession { session: owner, .. } => !Arc::ptr_eq(owner, session),
    });
}

/// A copy of `string` in its own allocation, for values that outlive the read buffer they
/// were decoded from (a zero-copy slice would pin the whole buffer).
fn detach_string(string: &MqttString) -> MqttString {
    MqttString::new(string.as_str()).unwrap_or_else(|_| string.clone())
}
