package io.dbbudget.server;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.zip.CRC32;

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

	// The two-int form of an advisory lock shows as classid = key1, objid = key2, objsubid = 2
	private static final String MEMBERS = """
			SELECT objid::bigint FROM pg_locks
			WHERE locktype = 'advisory' AND objsubid = 2 AND granted AND classid::bigint = ?
			  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
			ORDER BY 1""";

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
	 * The slots held in a group now, this member's included.
	 * @param connection any connection to the group's database
	 * @param groupKey the group's key
	 * @return the held slots, in order
	 * @throws SQLException if the server cannot be asked
	 */
	public static List<Integer> members(Connection connection, int groupKey) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(MEMBERS)) {
			statement.setLong(1, groupKey);
			List<Integer> slots = new ArrayList<>();
			try (ResultSet result = statement.executeQuery()) {
				while (result.next()) {
					slots.add((int) result.getLong(1));
				}
			}
			return slots;
		}
	}

}
