//! SUBSCRIBE and UNSUBSCRIBE: per-filter answers, the subscription index, and retained
//! messages for new subscriptions.

use std::sync::Arc;
use std::time::Instant;

use hermod_codec::{Packet, QoS, ReasonCode, SubAck, Subscribe, UnsubAck, Unsubscribe};

use super::Connection;
use crate::broker::SubscriptionEntry;
use crate::routing::{remove_from_index, sends_retained};
use crate::session::SubscriptionRecord;
use crate::violation::Violation;

impl Connection {
    pub(super) fn handle_subscribe(
        &mut self,
        now: Instant,
        subscribe: Subscribe,
    ) -> Result<(), Violation> {
        let Some(session) = self.session.as_ref().map(Arc::clone) else {
            return Ok(());
        };
        let config = self.broker.config().clone();
        let subscription_id = subscribe.properties.subscription_identifier;
        let mut reasons = Vec::with_capacity(subscribe.subscriptions.len());
        let mut retained = Vec::new();
        for subscription in subscribe.subscriptions {
            let filter = match subscription.filter {
                Ok(filter) => filter,
                Err(invalid) => {
                    tracing::debug!(conn = self.id, filter = %invalid.text, error = %invalid.error, "invalid topic filter");
                    reasons.push(self.failure(ReasonCode::TOPIC_FILTER_INVALID));
                    continue;
                }
            };
            let text = filter.as_str();
            if !config.topic_within_limits(text) {
                reasons.push(self.failure(ReasonCode::TOPIC_FILTER_INVALID));
                continue;
            }
            let is_new_filter = !session.lock().subscriptions.contains_key(text);
            if is_new_filter
                && session.lock().subscriptions.len() >= config.max_subscriptions_per_client
            {
                reasons.push(self.failure(ReasonCode::QUOTA_EXCEEDED));
                continue;
            }
            let mut options = subscription.options;
            options.qos = options.qos.min(QoS::ExactlyOnce);
            let entry = SubscriptionEntry {
                session: Arc::clone(&session),
                options,
                subscription_id,
                shared: crate::routing::shared_key(text),
            };
            let existed = self.broker.subscribe(text, entry.clone());
            {
                let record = SubscriptionRecord {
                    options,
                    subscription_id,
                };
                let mut state = session.lock();
                if let Some(persistence) = self.broker.persistence_for(&state) {
                    persistence.subscription_saved(&session.client_id, text, &record);
                }
                state.subscriptions.insert(text.to_owned(), record);
            }
            if sends_retained(options.retain_handling, existed, filter.is_shared()) {
                retained.extend(self.broker.retained_for(now, text, &entry));
            }
            reasons.push(ReasonCode::from_byte(options.qos.bits()));
        }
        let properties = self.ack_properties(&reasons);
        self.send(&Packet::SubAck(SubAck {
            packet_id: subscribe.packet_id,
            properties,
            reasons,
        }));
        // Retained messages follow the SUBACK (MQTT-3.8.4-4 orders the SUBACK first).
        let limits = self.broker.queue_limits();
        for delivery in retained {
            let _ = session.offer(delivery, &limits);
        }
        Ok(())
    }

    pub(super) fn handle_unsubscribe(&mut self, unsubscribe: Unsubscribe) -> Result<(), Violation> {
        let Some(session) = self.session.as_ref().map(Arc::clone) else {
            return Ok(());
        };
        let mut reasons = Vec::with_capacity(unsubscribe.filters.len());
        for filter in unsubscribe.filters {
            let reason = match filter {
                Err(_) => ReasonCode::TOPIC_FILTER_INVALID,
                Ok(filter) => {
                    let removed = {
                        let mut state = session.lock();
                        let removed = state.subscriptions.remove(filter.as_str()).is_some();
                        if let Some(persistence) = self.broker.persistence_for(&state) {
                            if removed {
                                persistence
                                    .subscription_removed(&session.client_id, filter.as_str());
                            }
                        }
                        removed
                    };
                    if removed {
                        remove_from_index(
                            &mut self.broker.index_mut(),
                            filter.as_str(),
                            session.id,
                        );
                        ReasonCode::SUCCESS
                    } else {
                        ReasonCode::NO_SUBSCRIPTION_EXISTED
                    }
                }
            };
            reasons.push(reason);
        }
        let properties = self.ack_properties(&reasons);
        self.send(&Packet::UnsubAck(UnsubAck {
            packet_id: unsubscribe.packet_id,
            properties,
            reasons,
        }));
        Ok(())
    }

    /// SUBACK/UNSUBACK properties: a Reason String for the first failure, if allowed.
    fn ack_properties(&self, reasons: &[ReasonCode]) -> hermod_codec::property::AckProperties {
        let mut properties = hermod_codec::property::AckProperties::default();
        if let Some(failure) = reasons.iter().find(|reason| !reason.is_success()) {
            properties.reason_string = self.problem_text(*failure);
        }
        properties
    }

    /// A SUBACK failure code: the MQTT 5 reason, or 0x80 before 5.0 (the encoder maps it).
    fn failure(&self, reason: ReasonCode) -> ReasonCode {
        if self.version.is_v5() {
            reason
        } else {
            ReasonCode::UNSPECIFIED_ERROR
        }
    }
}
