package io.dbbudget.fleet;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.zip.CRC32;

import org.jspecify.annotations.Nullable;

/**
 * Membership of a fleet through PostgreSQL's session-level advisory locks: each member holds
 * one lock {@code (group key, slot)} on a connection of its own, and the members are the held
 * slots of the group in {@code pg_locks}. A crashed member's session ends and its lock goes
 * with it, so there is nothing to clean up; {@code pg_locks} is readable by any role.
 * <p>
 * The members' states are read from {@code pg_stat_activity}, whose every read copies the
 * status of every backend of the server: one member, the group's reader, reads them for all
 * and sends them on the group's channel ({@code NOTIFY}), which the others listen to (see
 * {@link FleetView}). The reader is whoever holds the group's reader lock; when its session
 * ends, the next member to take its turn takes the lock. Any role may send on the channel, so
 * what was received counts only from the sessions that hold those locks (see
 * {@link FleetInbox}).
 *
 * @author db-budget team
 */
public final class PostgreSqlFleetMembership {

	static final int MAX_SLOTS = 4096;

	private static final String TRY_LOCK = "SELECT pg_try_advisory_lock(?, ?)";

	// The two-int form of an advisory lock shows as classid = key1, objid = key2, objsubid = 2.
	// The coordination session's name carries what its member published. A member that sends
	// its growth to the group also holds the bigint lock (key1 << 32 | key2), objsubid = 1, and
	// says its heartbeat with another, whose key2 carries it (see heartbeatKey). Older members'
	// queries match bigint locks by their exact key2 only, so they never see that one
	private static final String MEMBERS = """
			SELECT l.objid::bigint, a.application_name, s.pid IS NOT NULL, h.deciseconds
			FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
			  LEFT JOIN pg_locks s ON s.pid = l.pid AND s.locktype = 'advisory' AND s.objsubid = 1
			    AND s.classid = l.classid AND s.objid = l.objid AND s.granted
			  LEFT JOIN (SELECT pid, database, objid::bigint & 4095 AS slot, max((objid::bigint >> 12) & 524287) AS deciseconds
			    FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND granted AND classid::bigint = ?
			      AND objid::bigint BETWEEN 2147483648 AND 4294967293 GROUP BY 1, 2, 3) h
			    ON h.pid = l.pid AND h.database = l.database AND h.slot = l.objid::bigint
			WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted AND l.classid::bigint = ?
			  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			ORDER BY 1""";

	private static final String TURN_WAIT = "SELECT set_config('lock_timeout', ?, false)";

	// A heartbeat that cannot be said (another session holds its lock) leaves the others
	// taking this member to run theirs, as they take an older member: never wait for it
	private static final String SENDS_GROWTH_AND_HEARTBEAT = "SELECT pg_advisory_lock(?), pg_try_advisory_lock(?)";

	private static final String TAKE_TURN = """
			SELECT pg_advisory_lock(?), CASE WHEN ? THEN false ELSE pg_try_advisory_lock(?) END""";

	// The turn is released only once what was sent at it is committed, so that the next
	// member to take it has received it
	private static final String PUBLISH_AND_SEND = """
			SELECT set_config('application_name', ?, false),
			  (SELECT count(pg_notify(?, payload)) FROM unnest(?::text[]) payload)""";

	private static final String RELEASE_TURN = "SELECT pg_advisory_unlock(?)";

	// With nothing to send, one statement ends the turn
	private static final String PUBLISH_AND_RELEASE = "SELECT set_config('application_name', ?, false), pg_advisory_unlock(?)";

	private static final String LOCK_NOT_AVAILABLE = "55P03";

	private static final long TURN = 0xFFFFFFFFL;

	private static final long READER = 0xFFFFFFFEL;

	private static final long HEARTBEAT = 0x80000000L;

	// Tenths of a second in the bits between the slot's twelve and the heartbeat's mark: the
	// largest, about 14.5 hours, keeps every key below the reader's
	private static final long MAX_DECISECONDS = (1 << 19) - 2;

	private PostgreSqlFleetMembership() {
	}

	/**
	 * The advisory lock key of a group: non-negative, so that it reads back unchanged from
	 * {@code pg_locks.classid}, an unsigned oid.
	 * @param group the group's name
	 * @return the key
	 */
	public static int groupKey(String group) {
		CRC32 crc = new CRC32();
		crc.update(group.getBytes(StandardCharsets.UTF_8));
		return (int) (crc.getValue() & 0x7fffffff);
	}

	/**
	 * Joins a group by taking its first free slot, held as long as the connection's session
	 * lives.
	 * @param connection the member's own connection
	 * @param groupKey the group's key
	 * @return the slot taken, or empty if every slot is taken
	 * @throws SQLException if the server cannot be asked
	 */
	public static OptionalInt join(Connection connection, int groupKey) throws SQLException {
		try (PreparedStatement tryLock = connection.prepareStatement(TRY_LOCK)) {
			tryLock.setInt(1, groupKey);
			for (int slot = 0; slot < MAX_SLOTS; slot++) {
				tryLock.setInt(2, slot);
				try (ResultSet result = tryLock.executeQuery()) {
					result.next();
					if (result.getBoolean(1)) {
						return OptionalInt.of(slot);
					}
				}
			}
		}
		return OptionalInt.empty();
	}

	private static List<FleetMember> read(Connection connection, int groupKey, Set<Integer> silent)
			throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(MEMBERS)) {
			statement.setLong(1, groupKey);
			statement.setLong(2, groupKey);
			List<FleetMember> members = new ArrayList<>();
			try (ResultSet result = statement.executeQuery()) {
				while (result.next()) {
					long deciseconds = result.getLong(4);
					Duration heartbeat = result.wasNull() ? null : Duration.ofMillis(deciseconds * 100);
					FleetMember member = new FleetMember((int) result.getLong(1), MemberState.parse(result.getString(2)),
							heartbeat);
					members.add(member);
					if (!result.getBoolean(3)) {
						silent.add(member.slot());
					}
				}
			}
			return members;
		}
	}

	/**
	 * One member's turn: learns the group's members and publishes what this member decides
	 * from them, while no other member of the group takes its turn. Members that learn the
	 * same published states one after the other never both grow into the same spare
	 * connections. The group's reader reads the members and sends them to the group; the
	 * others take them from what they received, unless it is too old.
	 * @param connection the member's own connection, which holds its slot
	 * @param groupKey the group's key
	 * @param view what this member knows of its group, kept from one turn to the next on the
	 * same connection, and how long it waits for the turn
	 * @param decision what to publish, given the members
	 * @return the members seen, or {@code null} if the turn could not be had in time (the
	 * state published before stays)
	 * @throws SQLException if the server cannot be asked
	 */
	public static @Nullable List<FleetMember> takeTurn(Connection connection, int groupKey, FleetView view,
			Function<List<FleetMember>, MemberState> decision) throws SQLException {
		if (!view.prepared()) {
			prepareTurns(connection, groupKey, view);
		}
		try (PreparedStatement turn = connection.prepareStatement(TAKE_TURN)) {
			turn.setLong(1, key(groupKey, TURN));
			turn.setBoolean(2, view.reader() || view.slot() < 0);
			turn.setLong(3, key(groupKey, READER));
			try (ResultSet result = turn.executeQuery()) {
				result.next();
				if (result.getBoolean(2)) {
					view.becameReader();
				}
			}
		}
		catch (SQLException ex) {
			if (LOCK_NOT_AVAILABLE.equals(ex.getSQLState())) {
				return null;
			}
			throw ex;
		}
		boolean released = false;
		try {
			Notifications.receive(connection, channel(groupKey), view.inbox());
			view.inbox().deliver(connection, groupKey, channel(groupKey), view);
			List<FleetMember> members = view.members();
			if (members == null) {
				Set<Integer> silent = new TreeSet<>();
				members = read(connection, groupKey, silent);
				view.read(members, silent);
			}
			MemberState state = decision.apply(members);
			List<String> messages = view.decided(state);
			try (PreparedStatement publish = connection
				.prepareStatement(messages.isEmpty() ? PUBLISH_AND_RELEASE : PUBLISH_AND_SEND)) {
				publish.setString(1, state.encode());
				if (messages.isEmpty()) {
					publish.setLong(2, key(groupKey, TURN));
				}
				else {
					publish.setString(2, channel(groupKey));
					publish.setArray(3, connection.createArrayOf("text", messages.toArray()));
				}
				publish.execute();
				released = messages.isEmpty();
			}
			return members;
		}
		finally {
			if (!released && !connection.isClosed()) {
				try (PreparedStatement release = connection.prepareStatement(RELEASE_TURN)) {
					release.setLong(1, key(groupKey, TURN));
					release.execute();
				}
			}
		}
	}

	// Before its first turn a member sets its wait for the turn, says that it sends its growth
	// and how often it takes its turn (a member without a slot has nothing to say) and listens
	// to the group's channel. What a turn sends must be committed before the turn is released:
	// every statement commits
	private static void prepareTurns(Connection connection, int groupKey, FleetView view) throws SQLException {
		connection.setAutoCommit(true);
		try (PreparedStatement wait = connection.prepareStatement(TURN_WAIT)) {
			wait.setString(1, Math.max(1, view.turnWait().toMillis()) + "ms");
			wait.execute();
		}
		if (view.slot() >= 0) {
			try (PreparedStatement sends = connection.prepareStatement(SENDS_GROWTH_AND_HEARTBEAT)) {
				sends.setLong(1, key(groupKey, view.slot()));
				sends.setLong(2, key(groupKey, heartbeatKey(view.slot(), view.heartbeat())));
				sends.execute();
			}
		}
		// A driver whose notifications cannot be had reads for itself at every turn
		if (Notifications.available(connection)) {
			try (Statement listen = connection.createStatement()) {
				listen.execute("LISTEN " + channel(groupKey));
			}
		}
		view.preparedForTurns();
	}

	private static String channel(int groupKey) {
		return "db_budget_fleet_" + groupKey;
	}

	// Shows in pg_locks as classid = group key, objid = low, objsubid = 1: the turn and the
	// reader take values that are never a slot, a member's mark that it sends its growth its slot
	private static long key(int groupKey, long low) {
		return ((long) groupKey << 32) | low;
	}

	// A member's heartbeat, in tenths of a second rounded up, so that the others never count it
	// shorter than it is, with its slot: the top bit set, never a slot, below the reader's
	private static long heartbeatKey(int slot, Duration heartbeat) {
		long deciseconds = Math.min(MAX_DECISECONDS, Math.max(1, (heartbeat.toMillis() + 99) / 100));
		return HEARTBEAT | (deciseconds << 12) | slot;
	}

}
