package io.dbbudget.server;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.zip.CRC32;

import org.jspecify.annotations.Nullable;

/**
 * Membership of a fleet through PostgreSQL's session-level advisory locks: each member holds
 * one lock {@code (group key, slot)} on a connection of its own, and the members are the held
 * slots of the group in {@code pg_locks}. A crashed member's session ends and its lock goes
 * with it, so there is nothing to clean up; {@code pg_locks} is readable by any role.
 *
 * @author db-budget team
 */
public final class FleetMembership {

	private static final int MAX_SLOTS = 4096;

	private static final String TRY_LOCK = "SELECT pg_try_advisory_lock(?, ?)";

	// The two-int form of an advisory lock shows as classid = key1, objid = key2, objsubid = 2.
	// The coordination session's name carries what its member published.
	private static final String MEMBERS = """
			SELECT l.objid::bigint, a.application_name
			FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted AND l.classid::bigint = ?
			  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			ORDER BY 1""";

	private static final String TAKE_TURN = "SELECT pg_advisory_xact_lock(?)";

	private static final String LOCK_TIMEOUT = "SELECT set_config('lock_timeout', ?, true)";

	private static final String PUBLISH = "SELECT set_config('application_name', ?, false)";

	private static final String LOCK_NOT_AVAILABLE = "55P03";

	private FleetMembership() {
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

	/**
	 * The members of a group now, this member included, with what each published.
	 * @param connection any connection to the group's database
	 * @param groupKey the group's key
	 * @return the members, in slot order
	 * @throws SQLException if the server cannot be asked
	 */
	public static List<FleetMember> members(Connection connection, int groupKey) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(MEMBERS)) {
			statement.setLong(1, groupKey);
			List<FleetMember> members = new ArrayList<>();
			try (ResultSet result = statement.executeQuery()) {
				while (result.next()) {
					members.add(new FleetMember((int) result.getLong(1), MemberState.parse(result.getString(2))));
				}
			}
			return members;
		}
	}

	/**
	 * One member's turn: reads the group's members and publishes what this member decides
	 * from them, while no other member of the group takes its turn. Members that read the
	 * same published states one after the other never both grow into the same spare
	 * connections.
	 * @param connection the member's own connection, which holds its slot
	 * @param groupKey the group's key
	 * @param wait how long to wait for the turn
	 * @param decision what to publish, given the members
	 * @return the members read, or {@code null} if the turn could not be had in time (the
	 * state published before stays)
	 * @throws SQLException if the server cannot be asked
	 */
	public static @Nullable List<FleetMember> takeTurn(Connection connection, int groupKey, Duration wait,
			Function<List<FleetMember>, MemberState> decision) throws SQLException {
		boolean autoCommit = connection.getAutoCommit();
		connection.setAutoCommit(false);
		try {
			execute(connection, LOCK_TIMEOUT, Math.max(1, wait.toMillis()) + "ms");
			try (PreparedStatement turn = connection.prepareStatement(TAKE_TURN)) {
				turn.setLong(1, turnKey(groupKey));
				turn.execute();
			}
			List<FleetMember> members = members(connection, groupKey);
			execute(connection, PUBLISH, decision.apply(members).encode());
			connection.commit();
			return members;
		}
		catch (SQLException ex) {
			rollbackQuietly(connection);
			if (LOCK_NOT_AVAILABLE.equals(ex.getSQLState())) {
				return null;
			}
			throw ex;
		}
		finally {
			if (!connection.isClosed()) {
				connection.setAutoCommit(autoCommit);
			}
		}
	}

	// Shows in pg_locks as classid = group key, objid = 4294967295, objsubid = 1: never a slot
	private static long turnKey(int groupKey) {
		return ((long) groupKey << 32) | 0xFFFFFFFFL;
	}

	private static void execute(Connection connection, String sql, String value) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setString(1, value);
			statement.execute();
		}
	}

	private static void rollbackQuietly(Connection connection) {
		try {
			if (!connection.isClosed()) {
				connection.rollback();
			}
		}
		catch (SQLException ex) {
			// The session is gone: the transaction went with it
		}
	}

	/**
	 * A member of a group.
	 *
	 * @param slot the slot it holds
	 * @param state what it published, or {@code null} if it has published nothing
	 */
	public record FleetMember(int slot, @Nullable MemberState state) {

	}

}
