package io.dbbudget.fleet;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The messages a coordination session has received on its group's channel, held until their
 * senders are known. Any role that may connect to the database may {@code NOTIFY} on the
 * channel, so a message counts only when the session that sent it holds the lock that entitles
 * it: the members with every state only from the group's reader, of this member's own role; a
 * member's growth only from the session that holds that member's slot. Each sender is looked up
 * once in {@code pg_locks} and {@code pg_stat_activity} and remembered for a while; a message
 * whose sender has already gone cannot be checked, and makes this member read the members for
 * itself.
 *
 * @author db-budget team
 */
final class FleetInbox {

	private static final Log logger = LogFactory.getLog(FleetInbox.class);

	// A session that floods the channel must not grow the member's memory without bound: what is
	// beyond this is dropped, and the member reads for itself
	private static final int CAPACITY = 1024;

	private static final int SENDERS_REMEMBERED = 256;

	// The reader takes the bigint lock (group key << 32 | 0xFFFFFFFE): objsubid 1. Slots are the
	// two-int locks (group key, slot): objsubid 2
	private static final String SENDERS = """
			SELECT p.pid, a.pid IS NOT NULL, a.usename = session_user, a.usename, a.application_name,
			  coalesce(bool_or(l.objsubid = 1 AND l.objid::bigint = 4294967294), false),
			  array_remove(array_agg(CASE WHEN l.objsubid = 2 THEN l.objid::bigint END), NULL)
			FROM unnest(?::int[]) p(pid)
			  LEFT JOIN pg_stat_activity a ON a.pid = p.pid
			  LEFT JOIN pg_locks l ON l.pid = p.pid AND l.locktype = 'advisory' AND l.granted
			    AND l.classid::bigint = ? AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			GROUP BY p.pid, a.pid, a.usename, a.application_name""";

	private final List<Message> messages = new ArrayList<>();

	private final Map<Integer, Checked> senders = new HashMap<>();

	// Said once each, also when they are looked up again
	private final Set<Integer> reported = new HashSet<>();

	private final long rememberNanos;

	private final LongSupplier nanoTime;

	private boolean overflowed;

	FleetInbox(long rememberNanos, LongSupplier nanoTime) {
		this.rememberNanos = rememberNanos;
		this.nanoTime = nanoTime;
	}

	/**
	 * Keeps a message until its sender is checked.
	 * @param sender the process id of the session that sent it
	 * @param payload the message
	 */
	void add(int sender, String payload) {
		if (this.messages.size() < CAPACITY) {
			this.messages.add(new Message(sender, payload));
		}
		else {
			this.overflowed = true;
		}
	}

	/**
	 * Checks the senders not known yet, and hands the messages of those entitled to send them to
	 * the member's view, in the order they were sent.
	 * @param connection the member's connection
	 * @param groupKey the group's key
	 * @param channel the group's channel, for the log
	 * @param view the member's view
	 * @throws SQLException if the senders cannot be looked up
	 */
	void deliver(Connection connection, int groupKey, String channel, FleetView view) throws SQLException {
		long now = this.nanoTime.getAsLong();
		this.senders.values().removeIf((checked) -> now - checked.at() > this.rememberNanos);
		Map<Integer, Sender> known = new HashMap<>();
		this.senders.forEach((pid, checked) -> known.put(pid, checked.sender()));
		Set<Integer> unknown = new LinkedHashSet<>();
		this.messages.stream().map(Message::sender).filter((pid) -> !known.containsKey(pid)).forEach(unknown::add);
		if (!unknown.isEmpty()) {
			if (this.senders.size() + unknown.size() > SENDERS_REMEMBERED) {
				this.senders.clear();
			}
			for (Sender sender : lookUp(connection, groupKey, unknown)) {
				known.put(sender.pid(), sender);
				// A session that has gone is not remembered: its process id may come back as another's
				if (sender.alive()) {
					this.senders.put(sender.pid(), new Checked(sender, now));
					if ((!sender.sameRole() || (!sender.reader() && sender.slots().isEmpty())) && report(sender.pid())) {
						logger.warn("db-budget: ignoring messages on fleet channel " + channel + " from session "
								+ sender.pid() + " (role '" + sender.role() + "', application_name '"
								+ sender.applicationName() + "'): it is not a member of the group with this member's role");
					}
				}
			}
		}
		for (Message message : this.messages) {
			Sender sender = known.get(message.sender());
			if (sender == null || !sender.alive()) {
				view.mustReadItself();
			}
			else if (entitled(sender, message.payload())) {
				view.receive(message.payload());
			}
		}
		if (this.overflowed) {
			// What was dropped came last: a snapshot kept before it may miss a member's growth
			view.mustReadItself();
		}
		this.messages.clear();
		this.overflowed = false;
	}

	private boolean report(int pid) {
		if (this.reported.size() >= SENDERS_REMEMBERED) {
			this.reported.clear();
		}
		return this.reported.add(pid);
	}

	// The members with every state, from the reader of this member's role; a member's growth,
	// from the holder of that member's slot and for that slot only
	private static boolean entitled(Sender sender, String payload) {
		if (payload.startsWith(FleetMessages.SNAPSHOT)) {
			return sender.reader() && sender.sameRole();
		}
		if (payload.startsWith(FleetMessages.GROWN + " ")) {
			Integer slot = FleetMessages.grownSlot(payload);
			return slot != null && sender.slots().contains(slot);
		}
		return false;
	}

	private static List<Sender> lookUp(Connection connection, int groupKey, Set<Integer> pids) throws SQLException {
		List<Sender> senders = new ArrayList<>();
		Array array = connection.createArrayOf("int4", pids.toArray());
		try (PreparedStatement statement = connection.prepareStatement(SENDERS)) {
			statement.setArray(1, array);
			statement.setLong(2, groupKey);
			try (ResultSet result = statement.executeQuery()) {
				while (result.next()) {
					Set<Integer> slots = new LinkedHashSet<>();
					for (Object slot : (Object[]) result.getArray(7).getArray()) {
						slots.add(((Number) slot).intValue());
					}
					senders.add(new Sender(result.getInt(1), result.getBoolean(2), result.getBoolean(3),
							result.getString(4), result.getString(5), result.getBoolean(6), slots));
				}
			}
		}
		finally {
			array.free();
		}
		return senders;
	}

	private record Message(int sender, String payload) {

	}

	private record Checked(Sender sender, long at) {

	}

	/**
	 * A session that sent on the group's channel, as the server saw it.
	 *
	 * @param pid its process id
	 * @param alive whether it was still there when looked up
	 * @param sameRole whether it logged in with this member's role
	 * @param role its role
	 * @param applicationName its application name
	 * @param reader whether it holds the group's reader lock
	 * @param slots the group's slots it holds
	 */
	private record Sender(int pid, boolean alive, boolean sameRole, @Nullable String role,
			@Nullable String applicationName, boolean reader, Set<Integer> slots) {

	}

}
