package io.dbbudget.fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;

/**
 * The fleet's messages on a group's {@code NOTIFY} channel, as text: the reader's snapshot of
 * every member ({@code "S<part>/<parts> slot:demand:held:allocation;..."}, in parts that fit a
 * payload, with each member's heartbeat in an entry of its own) and a member's growth
 * ({@code "G slot:demand:held:allocation"}). Every count read is checked: nothing a message
 * says can make a member count less than nothing.
 *
 * @author db-budget team
 */
final class FleetMessages {

	// NOTIFY payloads must stay under 8000 bytes: larger member lists go in several, sent in
	// one transaction and so received together and in order
	private static final int PAYLOAD_LIMIT = 7000;

	static final String SNAPSHOT = "S";

	static final String GROWN = "G";

	// Enough for every slot a group can have; a snapshot said to have more is not db-budget's
	static final int MAX_PARTS = 64;

	// Sent after a member's state when it does not send its growth
	private static final String SILENT = "!";

	// Starts an entry of its own that says a member's heartbeat, "~slot=deciseconds": older
	// members skip an entry whose slot is not a number, and would read an entry of more fields
	// as a member that published nothing
	private static final String HEARTBEAT = "~";

	private FleetMessages() {
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
	 * The message by which a member that grew says its new state.
	 * @param slot its slot
	 * @param entry its state
	 * @return the payload
	 */
	static String grown(int slot, Entry entry) {
		return GROWN + " " + encode(slot, entry);
	}

	/**
	 * The messages that send every member, their states and heartbeats, in parts that each
	 * fit a {@code NOTIFY} payload.
	 * @param members the members, by slot
	 * @return the payloads, in the order they are to be sent
	 */
	static List<String> snapshot(Map<Integer, Entry> members) {
		List<String> entries = members.entrySet()
			.stream()
			.flatMap((entry) -> encodeWithHeartbeat(entry.getKey(), entry.getValue()))
			.toList();
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
	static void parseInto(String entries, Map<Integer, Entry> into) {
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

	static @Nullable Duration heartbeatOf(@Nullable Entry entry) {
		return (entry != null) ? entry.heartbeat() : null;
	}

	// A count as db-budget writes it: at most nine digits, never negative, so that nothing a
	// message says can make the others count less than nothing
	static @Nullable Integer parseCount(String text) {
		if (text.isEmpty() || text.length() > 9 || !text.chars().allMatch((c) -> c >= '0' && c <= '9')) {
			return null;
		}
		return Integer.parseInt(text);
	}

	/**
	 * A member as a message or a read shows it.
	 *
	 * @param state what it published, or {@code null} if nothing
	 * @param silent whether it does not send its growth (an older version)
	 * @param heartbeat how often it takes its turn, or {@code null} if it did not say
	 */
	record Entry(@Nullable MemberState state, boolean silent, @Nullable Duration heartbeat) {

	}

}
