package io.dbbudget.fleet;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;

/**
 * Membership of a fleet through the named locks of MySQL and MariaDB, in the shape of
 * {@link PostgreSqlFleetMembership}: each member holds {@code GET_LOCK('db-budget:<key>/<slot>', 0)} on
 * a connection of its own, and the members are the slots that {@code IS_USED_LOCK} reports
 * held, read in one query. A crashed member's session ends and its lock goes with it. Named
 * locks are server-wide, so the key mixes the group's key with the database's name: fleets of
 * the same group on other databases of the server are not counted, and members whose
 * connections name no database count each other. No privilege is needed.
 * <p>
 * Members cannot publish their demand: an account without privileges can neither list other
 * sessions' locks nor read a state that another session sets, so every member reads as one
 * that has published nothing ({@link FleetMember#state()} {@code null}) and members take equal
 * shares, as with {@code coordination.demand-aware=false}.
 *
 * @author db-budget team
 */
public final class MySqlFleetMembership {

	// Members take the lowest free slot, so slots stay dense; MySQL's recursive CTEs stop at
	// cte_max_recursion_depth (1000) by default
	static final int MAX_SLOTS = 256;

	private static final String TRY_LOCK = "SELECT GET_LOCK(" + lockName("?") + ", 0)";

	private static final String MEMBERS = """
			WITH RECURSIVE slots (slot) AS (SELECT 0 UNION ALL SELECT slot + 1 FROM slots WHERE slot < ?)
			SELECT slot FROM slots WHERE IS_USED_LOCK(%s) IS NOT NULL ORDER BY slot""".formatted(lockName("slot"));

	private static final String HOLDERS = """
			WITH RECURSIVE slots (slot) AS (SELECT 0 UNION ALL SELECT slot + 1 FROM slots WHERE slot < ?)
			SELECT IS_USED_LOCK(%s) FROM slots""".formatted(lockName("slot"));

	// The turn's name, 'turn', is never a slot's
	private static final String TAKE_TURN = "SELECT GET_LOCK(" + lockName("'turn'") + ", ?)";

	private static final String END_TURN = "SELECT RELEASE_LOCK(" + lockName("'turn'") + ")";

	private MySqlFleetMembership() {
	}

	// The lock name's one parameter is the group key. Without a default database DATABASE()
	// is NULL, and so would every lock name be: such members share one scope of their own
	private static String lockName(String slot) {
		return "CONCAT('db-budget:', CRC32(CONCAT(IFNULL(DATABASE(), ''), '/', ?)), '/', " + slot + ")";
	}

	/**
	 * Joins a group by taking its first free slot, held as long as the connection's session
	 * lives.
	 * @param connection the member's own connection
	 * @param groupKey the group's key, {@link PostgreSqlFleetMembership#groupKey(String)}
	 * @return the slot taken, or empty if every slot is taken
	 * @throws SQLException if the server cannot be asked
	 */
	public static OptionalInt join(Connection connection, int groupKey) throws SQLException {
		try (PreparedStatement tryLock = connection.prepareStatement(TRY_LOCK)) {
			tryLock.setInt(1, groupKey);
			for (int slot = 0; slot < MAX_SLOTS; slot++) {
				tryLock.setInt(2, slot);
				try (ResultSet result = tryLock.executeQuery()) {
					if (result.next() && result.getInt(1) == 1) {
						return OptionalInt.of(slot);
					}
				}
			}
		}
		return OptionalInt.empty();
	}

	/**
	 * The members of a group now, this member included.
	 * @param connection any connection to the group's database
	 * @param groupKey the group's key
	 * @return the members, in slot order, none with a published state
	 * @throws SQLException if the server cannot be asked
	 */
	static List<FleetMember> members(Connection connection, int groupKey) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(MEMBERS)) {
			statement.setInt(1, MAX_SLOTS - 1);
			statement.setInt(2, groupKey);
			List<FleetMember> members = new ArrayList<>();
			try (ResultSet result = statement.executeQuery()) {
				while (result.next()) {
					members.add(new FleetMember(result.getInt(1), null));
				}
			}
			return members;
		}
	}

	/**
	 * The threads that hold a group's slots now. The turn's lock is left out: it is held only
	 * while its holder runs statements.
	 * @param connection any connection to the group's database
	 * @param groupKey the group's key
	 * @return the holders' connection ids
	 * @throws SQLException if the server cannot be asked
	 */
	public static Set<Long> holders(Connection connection, int groupKey) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(HOLDERS)) {
			statement.setInt(1, MAX_SLOTS - 1);
			statement.setInt(2, groupKey);
			Set<Long> holders = new HashSet<>();
			try (ResultSet result = statement.executeQuery()) {
				while (result.next()) {
					long holder = result.getLong(1);
					if (!result.wasNull()) {
						holders.add(holder);
					}
				}
			}
			return holders;
		}
	}

	/**
	 * One member's turn: reads the group's members while no other member of the group takes
	 * its turn, and lets the member decide from them. What it decides cannot be published (see
	 * above).
	 * @param connection the member's own connection, which holds its slot
	 * @param groupKey the group's key
	 * @param wait how long to wait for the turn
	 * @param decision what this member decides, given the members
	 * @return the members read, or {@code null} if the turn could not be had in time
	 * @throws SQLException if the server cannot be asked
	 */
	public static @Nullable List<FleetMember> takeTurn(Connection connection, int groupKey, Duration wait,
			Function<List<FleetMember>, MemberState> decision) throws SQLException {
		try (PreparedStatement turn = connection.prepareStatement(TAKE_TURN)) {
			turn.setInt(1, groupKey);
			turn.setDouble(2, Math.max(1, wait.toMillis()) / 1000.0);
			try (ResultSet result = turn.executeQuery()) {
				if (!result.next() || result.getInt(1) != 1) {
					return null;
				}
			}
		}
		try {
			List<FleetMember> members = members(connection, groupKey);
			decision.apply(members);
			return members;
		}
		finally {
			try (PreparedStatement end = connection.prepareStatement(END_TURN)) {
				end.setInt(1, groupKey);
				end.execute();
			}
		}
	}

}
