package io.dbbudget.fleet;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;

import io.dbbudget.fleet.FleetMessages.Entry;
import org.jspecify.annotations.Nullable;

/**
 * What one member knows of its group between its own reads of {@code pg_stat_activity}. Every
 * read copies the status of every backend of the server, so a fleet whose N members each read
 * at every heartbeat costs the server in N squared. Instead one member, the reader, reads for
 * all at its turn and sends the members, their states and their heartbeats to the group's
 * channel; a member that grows sends its new state at its own turn (the messages are
 * {@link FleetMessages}). Both are sent before the turn is released, so the next member to take
 * the turn has received them, in the order they were sent: the members it sees are never
 * smaller than what they may hold, which is all that keeps the fleet within its budget. A
 * member that has heard nothing from a reader for two heartbeats, or sees a member that does
 * not send its growth (an older version), reads for itself.
 *
 * @author db-budget team
 */
public final class FleetView {

	private final int slot;

	private final Duration heartbeat;

	private final Duration turnWait;

	private final long freshNanos;

	private final LongSupplier nanoTime;

	private final Map<Integer, Entry> members = new TreeMap<>();

	private final FleetInbox inbox;

	private final StringBuilder partsReceived = new StringBuilder();

	private int nextPart = 1;

	private boolean prepared;

	private boolean reader;

	// The most this member may hold as the others last received it, -1 while they know nothing
	private int othersKnow = -1;

	private long snapshotAt;

	private boolean snapshotSeen;

	/**
	 * Creates the view of a member that has just joined on a connection of its own, which
	 * knows nothing of its group yet.
	 * @param slot the member's slot, or {@code -1} if it has none
	 * @param heartbeat how often members take their turn
	 */
	public FleetView(int slot, Duration heartbeat) {
		this(slot, heartbeat, System::nanoTime);
	}

	FleetView(int slot, Duration heartbeat, LongSupplier nanoTime) {
		this.slot = slot;
		this.heartbeat = heartbeat;
		this.turnWait = heartbeat.dividedBy(2);
		this.freshNanos = heartbeat.multipliedBy(2).toNanos();
		this.nanoTime = nanoTime;
		// A sender's locks are checked again after ten heartbeats
		this.inbox = new FleetInbox(this.freshNanos * 5, nanoTime);
	}

	/**
	 * The member's slot.
	 * @return the slot, or {@code -1} if it has none
	 */
	public int slot() {
		return this.slot;
	}

	/**
	 * How often this member takes its turn.
	 * @return the heartbeat
	 */
	Duration heartbeat() {
		return this.heartbeat;
	}

	/**
	 * How long this member waits for its turn: half a heartbeat, so that a member that holds
	 * the turn too long delays the others' shares by one heartbeat at most.
	 * @return the wait
	 */
	public Duration turnWait() {
		return this.turnWait;
	}

	/**
	 * What the member's connection has received and not yet checked.
	 * @return the inbox
	 */
	FleetInbox inbox() {
		return this.inbox;
	}

	/**
	 * Forgets what was received of the members, so that this member reads them itself until
	 * the reader sends them again: a message could not be checked or was lost.
	 */
	void mustReadItself() {
		this.snapshotSeen = false;
		this.partsReceived.setLength(0);
		this.nextPart = 1;
	}

	// Whether the connection is ready for turns: its wait set, the group's channel listened to
	boolean prepared() {
		return this.prepared;
	}

	void preparedForTurns() {
		this.prepared = true;
	}

	/**
	 * Whether this member reads for all.
	 * @return whether it is the group's reader
	 */
	public boolean reader() {
		return this.reader;
	}

	void becameReader() {
		this.reader = true;
	}

	/**
	 * The members as the reader and the members that grew since sent them, or {@code null} if
	 * this member must read them itself.
	 * @return the members, in slot order
	 */
	@Nullable List<FleetMember> members() {
		// A snapshot read before this member joined does not count it
		if (this.reader || !this.snapshotSeen || this.nanoTime.getAsLong() - this.snapshotAt > this.freshNanos
				|| !this.members.containsKey(this.slot) || this.members.values().stream().anyMatch(Entry::silent)) {
			return null;
		}
		return this.members.entrySet()
			.stream()
			.map((entry) -> new FleetMember(entry.getKey(), entry.getValue().state(), entry.getValue().heartbeat()))
			.toList();
	}

	/**
	 * Takes in what this member read itself.
	 * @param read the members
	 * @param silent the slots of those that do not send their growth
	 */
	void read(List<FleetMember> read, Set<Integer> silent) {
		this.members.clear();
		read.forEach((member) -> this.members.put(member.slot(),
				new Entry(member.state(), silent.contains(member.slot()), member.heartbeat())));
	}

	/**
	 * Takes in a message received on the group's channel.
	 * @param payload the message
	 */
	void receive(String payload) {
		int space = payload.indexOf(' ');
		if (space < 0) {
			return;
		}
		String kind = payload.substring(0, space);
		String body = payload.substring(space + 1);
		if (FleetMessages.GROWN.equals(kind)) {
			FleetMessages.parseInto(body, this.members);
		}
		else if (kind.startsWith(FleetMessages.SNAPSHOT)) {
			receivePart(kind.substring(FleetMessages.SNAPSHOT.length()), body);
		}
	}

	// "S<part>/<parts> entries": the parts of one snapshot come one after the other, in one
	// transaction of the reader's
	private void receivePart(String numbering, String body) {
		String[] part = numbering.split("/");
		Integer index = (part.length == 2) ? FleetMessages.parseCount(part[0]) : null;
		Integer parts = (part.length == 2) ? FleetMessages.parseCount(part[1]) : null;
		if (index == null || parts == null || parts > FleetMessages.MAX_PARTS || index > parts || index != this.nextPart) {
			this.partsReceived.setLength(0);
			this.nextPart = 1;
			return;
		}
		this.partsReceived.append(body).append(';');
		this.nextPart++;
		if (index.equals(parts)) {
			Map<Integer, Entry> snapshot = new TreeMap<>();
			FleetMessages.parseInto(this.partsReceived.toString(), snapshot);
			this.partsReceived.setLength(0);
			this.nextPart = 1;
			this.members.clear();
			this.members.putAll(snapshot);
			this.snapshotAt = this.nanoTime.getAsLong();
			this.snapshotSeen = true;
			othersReceived();
		}
	}

	/**
	 * Records what this member decided at its turn, and says what to send to the group.
	 * @param state what it publishes now
	 * @return the messages to send before the turn is released: the members with every state
	 * from the reader, this member's state from a member that may hold more than the others
	 * know of, nothing otherwise
	 */
	List<String> decided(MemberState state) {
		if (this.slot < 0) {
			return List.of();
		}
		Entry own = new Entry(state, false, FleetMessages.heartbeatOf(this.members.get(this.slot)));
		this.members.put(this.slot, own);
		if (this.reader) {
			this.othersKnow = mayHold(state);
			return FleetMessages.snapshot(this.members);
		}
		if (mayHold(state) > this.othersKnow) {
			this.othersKnow = mayHold(state);
			return List.of(FleetMessages.grown(this.slot, own));
		}
		// The others count the larger state they last received: safe while it shrinks
		return List.of();
	}

	// A snapshot carries this member's state as it last published it
	private void othersReceived() {
		Entry own = this.members.get(this.slot);
		this.othersKnow = (own != null && own.state() != null) ? mayHold(own.state()) : -1;
	}

	private static int mayHold(MemberState state) {
		return Math.max(state.allocation(), state.held());
	}

}
