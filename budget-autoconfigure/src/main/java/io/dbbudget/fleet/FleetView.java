package io.dbbudget.fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;

/**
 * What one member knows of its group between its own reads of {@code pg_stat_activity}. Every
 * read copies the status of every backend of the server, so a fleet whose N members each read
 * at every heartbeat costs the server in N squared. Instead one member, the reader, reads for
 * all at its turn and sends the members, their states and their heartbeats to the group's
 * channel; a member that grows sends its new state at its own turn. Both are sent before the
 * turn is released, so the next member to take the turn has received them, in the order they
 * were sent: the members it sees are never smaller than what they may hold, which is all that
 * keeps the fleet within its budget. A member that has heard nothing from a reader for two heartbeats, or sees a member
 * that does not send its growth (an older version), reads for itself.
 *
 * @author db-budget team
 */
public final class FleetView {

	// NOTIFY payloads must stay under 8000 bytes: larger member lists go in several, sent in
	// one transaction and so received together and in order
	private static final int PAYLOAD_LIMIT = 7000;

	static final String SNAPSHOT = "S";

	static final String GROWN = "G";

	// Enough for every slot a group can have; a snapshot said to have more is not db-budget's
	private static final int MAX_PARTS = 64;

	// Sent after a member's state when it does not send its growth
	private static final String SILENT = "!";

	// Starts an entry of its own that says a member's heartbeat, "~slot=deciseconds": older
	// members skip an entry whose slot is not a number, and would read an entry of more fields
	// as a member that published nothing
	private static final String HEARTBEAT = "~";

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
		if (GROWN.equals(kind)) {
			parseInto(body, this.members);
		}
		else if (kind.startsWith(SNAPSHOT)) {
			receivePart(kind.substring(SNAPSHOT.length()), body);
		}
	}

	// "S<part>/<parts> entries": the parts of one snapshot come one after the other, in one
	// transaction of the reader's
	private void receivePart(String numbering, String body) {
		String[] part = numbering.split("/");
		Integer index = (part.length == 2) ? parseCount(part[0]) : null;
		Integer parts = (part.length == 2) ? parseCount(part[1]) : null;
		if (index == null || parts == null || parts > MAX_PARTS || index > parts || index != this.nextPart) {
			this.partsReceived.setLength(0);
			this.nextPart = 1;
			return;
		}
		this.partsReceived.append(body).append(';');
		this.nextPart++;
		if (index.equals(parts)) {
			Map<Integer, Entry> snapshot = new TreeMap<>();
			parseInto(this.partsReceived.toString(), snapshot);
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
	 * The slot a member's growth speaks for.
	 * @param payload a message of growth, "G slot:demand:held:allocation"
	 * @return the slot, or {@code null} if the message is not one member's growth
	 */
	static @Nullable Integer grownSlot(String payload) {
		String body = payload.substring(GROWN.length() + 1);
		int colon = body.indexOf(':');
		return (colon > 0 && body.indexOf(';') < 0) ? parseCount(body.substring(0, colon)) : null;
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
		Entry own = new Entry(state, false, heartbeatOf(this.members.get(this.slot)));
		this.members.put(this.slot, own);
		if (this.reader) {
			this.othersKnow = mayHold(state);
			return snapshot(this.members.entrySet()
				.stream()
				.flatMap((entry) -> encodeWithHeartbeat(entry.getKey(), entry.getValue()))
				.toList());
		}
		if (mayHold(state) > this.othersKnow) {
			this.othersKnow = mayHold(state);
			return List.of(GROWN + " " + encode(this.slot, own));
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

	private static List<String> snapshot(List<String> entries) {
		List<StringBuilder> parts = new ArrayList<>();
		StringBuilder part = new StringBuilder();
		for (String entry : entries) {
			if (part.length() + entry.length() + 1 > PAYLOAD_LIMIT) {
				parts.add(part);
				part = new StringBuilder();
			}
			part.append((part.length() > 0) ? ";" : "").append(entry);
		}
		parts.add(part);
		List<String> payloads = new ArrayList<>();
		for (int i = 0; i < parts.size(); i++) {
			payloads.add(SNAPSHOT + (i + 1) + "/" + parts.size() + " " + parts.get(i));
		}
		return payloads;
	}

	// A member's entry, then the entry of its heartbeat if it said it
	private static Stream<String> encodeWithHeartbeat(int slot, Entry entry) {
		String member = encode(slot, entry);
		Duration heartbeat = entry.heartbeat();
		return (heartbeat != null) ? Stream.of(member, HEARTBEAT + slot + "=" + heartbeat.toMillis() / 100)
				: Stream.of(member);
	}

	// "slot:demand:held:allocation", "slot:" for a member that has published nothing, "!" after
	// either for a member that does not send its growth
	private static String encode(int slot, Entry entry) {
		MemberState state = entry.state();
		String text = slot + ":"
				+ ((state != null) ? state.demand() + ":" + state.held() + ":" + state.allocation() : "");
		return entry.silent() ? text + SILENT : text;
	}

	// A member's growth says nothing of its heartbeat: what was known of it stays. A snapshot
	// says every member's, after the member's own entry
	private static void parseInto(String entries, Map<Integer, Entry> into) {
		Map<Integer, Duration> heartbeats = new TreeMap<>();
		for (String entry : entries.split(";")) {
			if (entry.isEmpty()) {
				continue;
			}
			if (entry.startsWith(HEARTBEAT)) {
				parseHeartbeat(entry.substring(HEARTBEAT.length()), heartbeats);
				continue;
			}
			boolean silent = entry.endsWith(SILENT);
			String[] fields = (silent ? entry.substring(0, entry.length() - 1) : entry).split(":", -1);
			Integer slot = parseCount(fields[0]);
			if (slot == null || slot >= PostgreSqlFleetMembership.MAX_SLOTS || (fields.length != 2 && fields.length != 4)) {
				continue;
			}
			Duration heartbeat = heartbeatOf(into.get(slot));
			if (fields.length == 2 && fields[1].isEmpty()) {
				into.put(slot, new Entry(null, silent, heartbeat));
				continue;
			}
			Integer demand = (fields.length == 4) ? parseCount(fields[1]) : null;
			Integer held = (fields.length == 4) ? parseCount(fields[2]) : null;
			Integer allocation = (fields.length == 4) ? parseCount(fields[3]) : null;
			if (demand != null && held != null && allocation != null) {
				into.put(slot, new Entry(new MemberState(demand, held, allocation), silent, heartbeat));
			}
		}
		heartbeats.forEach((slot, heartbeat) -> into.computeIfPresent(slot,
				(key, entry) -> new Entry(entry.state(), entry.silent(), heartbeat)));
	}

	// "slot=deciseconds", a heartbeat of at least a tenth of a second
	private static void parseHeartbeat(String entry, Map<Integer, Duration> into) {
		int equals = entry.indexOf('=');
		Integer slot = (equals > 0) ? parseCount(entry.substring(0, equals)) : null;
		Integer deciseconds = (equals > 0) ? parseCount(entry.substring(equals + 1)) : null;
		if (slot != null && deciseconds != null && deciseconds > 0) {
			into.put(slot, Duration.ofMillis(deciseconds * 100L));
		}
	}

	private static @Nullable Duration heartbeatOf(@Nullable Entry entry) {
		return (entry != null) ? entry.heartbeat() : null;
	}

	// A count as db-budget writes it: at most nine digits, never negative, so that nothing a
	// message says can make the others count less than nothing
	private static @Nullable Integer parseCount(String text) {
		if (text.isEmpty() || text.length() > 9 || !text.chars().allMatch((c) -> c >= '0' && c <= '9')) {
			return null;
		}
		return Integer.parseInt(text);
	}

	private record Entry(@Nullable MemberState state, boolean silent, @Nullable Duration heartbeat) {

	}

}
