//! Routing a message: matching the subscription index, merging overlapping subscriptions of
//! one session into one delivery, choosing one member per shared group, and keeping retained
//! messages.

use std::sync::Arc;
use std::time::Instant;

use hermod_codec::{RetainHandling, SubscriptionId};
use hermod_router::{
    MatchVisitor, PublishContext, ShareStrategy, SharedGroup, SubscriptionFilter,
    SubscriptionIndex, parse_subscription_filter,
};
use smallvec::SmallVec;

use crate::broker::{Broker, SharedKey, SubscriptionEntry};
use crate::message::{Delivery, Message};
use crate::session::{Enqueued, SessionCell, SessionId};
use crate::stats::Stats;

impl Broker {
    /// Routes a message to every matching subscription and updates the retained store if
    /// the message is retained. Returns how many sessions it was offered to.
    pub fn publish(&self, now: Instant, message: Arc<Message>) -> usize {
        self.publish_noting_congestion(now, message, &mut Vec::new())
    }

    /// [`Broker::publish`], adding to `congested` every session whose queue took the message
    /// beyond its limit (backpressure): the publisher should pause until they drain.
    pub fn publish_noting_congestion(
        &self,
        now: Instant,
        message: Arc<Message>,
        congested: &mut Vec<Arc<SessionCell>>,
    ) -> usize {
        if message.retain {
            self.retain(&message);
        }
        if message.is_expired(now) {
            return 0;
        }
        let index = self.index();
        let topic = message.topic.as_str();
        let mut collector = Collector {
            matches: SmallVec::new(),
            runs: 0,
            run_open: false,
            publisher: message.publisher,
            strategy: self.config().shared_strategy,
            context: PublishContext {
                topic,
                publisher: message.publisher_client_id.as_str(),
            },
        };
        index.visit_matches(topic, &mut collector);
        let runs = collector.runs;
        let mut matches = collector.matches;
        // Overlapping subscriptions of one session are merged below, which needs them next
        // to each other; matches of a single filter are distinct sessions already.
        if matches.len() > 1 && runs > 1 {
            matches.sort_unstable_by_key(|(session_id, _)| *session_id);
        }
        let limits = self.queue_limits();
        let offline_copy = std::cell::OnceCell::new();
        let mut recipients = 0;
        let mut rest = matches.as_slice();
        while let Some(((session_id, first), tail)) = rest.split_first() {
            // Overlapping subscriptions of one session become one delivery with the highest
            // granted QoS and every subscription identifier (MQTT-3.3.4-2, MQTT-3.3.4-3).
            let same = tail.iter().take_while(|(id, _)| id == session_id).count();
            let (overlapping, next) = tail.split_at(same);
            rest = next;
            let mut qos = first.options.qos;
            let mut retain_as_published = first.options.retain_as_published;
            let mut subscription_ids: Vec<SubscriptionId> =
                first.subscription_id.into_iter().collect();
            // Only a message that reached the session solely through one shared subscription
            // is handed to another member if the session leaves without acknowledging it.
            let mut shared = first.shared.clone();
            for (_, entry) in overlapping {
                qos = qos.max(entry.options.qos);
                retain_as_published |= entry.options.retain_as_published;
                subscription_ids.extend(entry.subscription_id);
                shared = None;
            }
            let delivery = Delivery {
                qos: qos.min(message.qos),
                // MQTT-3.3.1-12/-13 (3.1.1: MQTT-3.3.1-9): RETAIN is cleared on forwarding
                // unless the subscription asked for Retain As Published.
                retain: message.retain && retain_as_published,
                subscription_ids,
                shared,
                message: Arc::clone(&message),
                seq: 0,
            };
            recipients += 1;
            match first
                .session
                .offer_with_copy(delivery, &limits, &offline_copy)
            {
                Enqueued::Queued | Enqueued::SkippedQos0Offline => {}
                // A client is never paused on its own queue: the acknowledgements that drain
                // it are among the packets it would no longer read.
                Enqueued::QueuedCongested if message.publisher == Some(*session_id) => {}
                Enqueued::QueuedCongested => {
                    if !congested
                        .iter()
                        .any(|session| Arc::ptr_eq(session, &first.session))
                    {
                        congested.push(Arc::clone(&first.session));
                    }
                }
                Enqueued::DroppedOldest | Enqueued::DroppedNewest | Enqueued::Disconnect => {
                    Stats::bump(&self.stats().messages_dropped);
                    tracing::debug!(
                        client_id = %first.session.client_id,
                        "queue full: message dropped"
                    );
                }
            }
        }
        recipients
    }

    /// Stores, replaces or clears (empty payload, MQTT-3.3.1-6/-7) the retained message of a
    /// topic, within the configured limits.
    fn retain(&self, message: &Arc<Message>) {
        let topic = message.topic.as_str();
        let mut retained = self.retained_mut();
        if message.payload.is_empty() {
            let removed = retained.remove(topic).is_some();
            match &self.inner.persistence {
                Some(persistence) if removed => persistence.retained_changed(&message.topic, None),
                _ => {}
            }
            return;
        }
        let config = self.config();
        if message.payload.len() > config.max_retained_payload {
            tracing::debug!(topic, "retained payload over the limit: not stored");
            return;
        }
        if retained.get(topic).is_none() && retained.len() >= config.max_retained_messages {
            tracing::debug!(topic, "retained message limit reached: not stored");
            return;
        }
        // The stored copy owns its bytes: the published message is a slice of the publisher's
        // read buffer, which a long-lived retained message must not keep alive.
        let stored = Arc::new(message.detached());
        if let Some(persistence) = &self.inner.persistence {
            persistence.retained_changed(&stored.topic, Some(&stored));
        }
        retained.insert(topic, stored);
    }

    /// The retained messages a new subscription receives (MQTT-3.3.1-9..11), as deliveries
    /// for `session`, skipping expired ones.
    pub(crate) fn retained_for(
        &self,
        now: Instant,
        filter: &str,
        entry: &SubscriptionEntry,
    ) -> Vec<Delivery> {
        let mut deliveries = Vec::new();
        // The session queue keeps at most this many; collecting more would only be dropped,
        // after costing memory (a `#` subscription over a large store).
        let limit = self.config().max_queued_messages;
        let retained = self.retained();
        retained.for_each_matching(filter, |_topic, message| {
            if message.is_expired(now) || deliveries.len() >= limit {
                return;
            }
            deliveries.push(Delivery {
                message: Arc::clone(message),
                qos: entry.options.qos.min(message.qos),
                retain: true,
                subscription_ids: entry.subscription_id.into_iter().collect(),
                shared: None,
                seq: 0,
            });
        });
        deliveries
    }

    /// Adds or replaces a subscription. Returns whether one existed for this filter (for
    /// Retain Handling 1) — shared subscriptions never get retained messages.
    pub(crate) fn subscribe(&self, filter: &str, entry: SubscriptionEntry) -> bool {
        let session_id = entry.session.id;
        let mut index = self.index_mut();
        match parse_subscription_filter(filter) {
            Ok(SubscriptionFilter::Plain(plain)) => {
                index.insert(plain, session_id, entry).is_some()
            }
            Ok(SubscriptionFilter::Shared { group, filter }) => index
                .insert_shared(group, filter, session_id, entry)
                .is_some(),
            Err(_) => false,
        }
    }
}

impl Broker {
    /// Hands the unacknowledged messages of a shared-subscription member that left to another
    /// member of the same group (connected ones first), with that member's own QoS and
    /// subscription identifier. Messages no other member can take are dropped and counted.
    ///
    /// Returns the messages no other member can take, for the leaving session to keep (it
    /// resends them if its client comes back, MQTT-4.4.0-1).
    pub(crate) fn redeliver_shared(
        &self,
        leaving: SessionId,
        deliveries: Vec<Delivery>,
    ) -> Vec<Delivery> {
        let mut kept = Vec::new();
        let index = self.index();
        let limits = self.queue_limits();
        let strategy = self.config().shared_strategy;
        for delivery in deliveries {
            let Some(key) = delivery.shared.clone() else {
                continue;
            };
            let message = &delivery.message;
            let topic = message.topic.as_str();
            let context = PublishContext {
                topic,
                publisher: message.publisher_client_id.as_str(),
            };
            let mut target: Option<&SubscriptionEntry> = None;
            index.for_each_shared_match(topic, |group| {
                if target.is_some() || group.name() != &*key.group || group.filter() != &*key.filter
                {
                    return;
                }
                let online = |id: &SessionId, entry: &SubscriptionEntry| {
                    let state = entry.session.lock();
                    *id != leaving && !state.discarded && state.owner.is_some()
                };
                let any = |id: &SessionId, entry: &SubscriptionEntry| {
                    *id != leaving && !entry.session.lock().discarded
                };
                target = group
                    .select(strategy, context, online)
                    .or_else(|| group.select(strategy, context, any))
                    .map(|(_, entry)| entry);
            });
            let Some(entry) = target else {
                kept.push(delivery);
                continue;
            };
            let redelivery = Delivery {
                qos: entry.options.qos.min(message.qos),
                retain: message.retain && entry.options.retain_as_published,
                subscription_ids: entry.subscription_id.into_iter().collect(),
                shared: entry.shared.clone(),
                message: Arc::clone(message),
                seq: 0,
            };
            if !matches!(
                entry.session.offer(redelivery, &limits),
                Enqueued::Queued | Enqueued::QueuedCongested | Enqueued::DroppedOldest
            ) {
                Stats::bump(&self.stats().messages_dropped);
            }
        }
        kept
    }
}

/// Whether the new subscription gets retained messages under its Retain Handling.
pub(crate) fn sends_retained(handling: RetainHandling, existed: bool, shared: bool) -> bool {
    !shared
        && match handling {
            RetainHandling::SendOnSubscribe => true,
            RetainHandling::SendIfNewSubscription => !existed,
            RetainHandling::DoNotSend => false,
        }
}

/// Removes a session's subscription to `filter` from the index; true if it was there.
pub(crate) fn remove_from_index(
    index: &mut SubscriptionIndex<SessionId, SubscriptionEntry>,
    filter: &str,
    session_id: SessionId,
) -> bool {
    match parse_subscription_filter(filter) {
        Ok(SubscriptionFilter::Plain(plain)) => index.remove(plain, &session_id).is_some(),
        Ok(SubscriptionFilter::Shared { group, filter }) => {
            index.remove_shared(group, filter, &session_id).is_some()
        }
        Err(_) => false,
    }
}

/// Gathers the subscriptions a topic matches in one walk of the index: every plain
/// subscription (minus No Local ones of the publisher) and one member per shared group.
struct Collector<'a, 'm> {
    /// Inline for the usual handful of recipients: no allocation per publish.
    matches: SmallVec<[(SessionId, &'a SubscriptionEntry); 8]>,
    /// Runs of matches known to hold distinct sessions (one filter's plain subscriptions,
    /// or one shared group's pick): with one run, no session can appear twice.
    runs: u32,
    /// Whether the current filter's plain subscriptions have started a run.
    run_open: bool,
    publisher: Option<SessionId>,
    strategy: ShareStrategy,
    context: PublishContext<'m>,
}

impl<'a> MatchVisitor<'a, SessionId, SubscriptionEntry> for Collector<'a, '_> {
    fn visit_subscription(&mut self, session_id: &'a SessionId, entry: &'a SubscriptionEntry) {
        // MQTT-3.8.3-3: No Local keeps a client's own messages from coming back to it.
        if entry.options.no_local && self.publisher == Some(*session_id) {
            return;
        }
        if !self.run_open {
            self.run_open = true;
            self.runs += 1;
        }
        self.matches.push((*session_id, entry));
    }

    fn end_of_filter(&mut self) {
        self.run_open = false;
    }

    fn visit_shared_group(&mut self, group: &'a SharedGroup<SessionId, SubscriptionEntry>) {
        // Prefer a connected member; if none is, queue for a persistent offline one.
        let online = |_: &SessionId, entry: &SubscriptionEntry| {
            let state = entry.session.lock();
            !state.discarded && state.owner.is_some()
        };
        let chosen = group
            .select(self.strategy, self.context, online)
            .or_else(|| {
                group.select(self.strategy, self.context, |_, entry| {
                    !entry.session.lock().discarded
                })
            });
        if let Some((session_id, entry)) = chosen {
            self.runs += 1;
            self.matches.push((*session_id, entry));
        }
    }
}

/// The group and filter of a shared subscription's filter text, if it is one.
pub(crate) fn shared_key(filter: &str) -> Option<Arc<SharedKey>> {
    match hermod_router::parse_subscription_filter(filter) {
        Ok(hermod_router::SubscriptionFilter::Shared { group, filter }) => {
            Some(Arc::new(SharedKey {
                group: group.into(),
                filter: filter.into(),
            }))
        }
        _ => None,
    }
}
