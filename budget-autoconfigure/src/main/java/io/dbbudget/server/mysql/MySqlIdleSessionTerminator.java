package io.dbbudget.server.mysql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.dbbudget.fleet.MySqlFleetMembership;
import io.dbbudget.server.IdleSessionTermination.TerminatedSession;
import io.dbbudget.server.IdleSessionTermination;
import io.dbbudget.server.SparedSessions;
import org.jspecify.annotations.Nullable;

/**
 * Ends this application's MySQL or MariaDB threads that have slept for long, with
 * {@code KILL CONNECTION}: those of the same user and the same {@code program_name} attribute
 * as the connection it runs on, in {@code Sleep} (running nothing) longer than the age. Threads
 * running a statement, threads of any other user or program, the threads of this instance's
 * pooled connections (the server shows a connection that the application holds between two
 * statements in autocommit as {@code Sleep}, as it shows one waiting in the pool) and the
 * threads holding the named locks of the caller's fleet ({@link MySqlFleetMembership}) are
 * never touched. An account may kill its own threads, so no privilege is needed.
 * <p>
 * The program name is the only thing that tells this application's threads from other
 * clients' threads of the same user, and the server shows it only while
 * {@code performance_schema} is on (MySQL's default, not MariaDB's): where it cannot be read
 * back, nothing is looked for, as on PostgreSQL for an application without a name of its own.
 * <p>
 * Where the account may read {@code information_schema.INNODB_TRX} ({@code PROCESS}), threads
 * inside a transaction are spared too; an account without it cannot see whether a sleeping
 * thread holds a transaction open, and such a thread, idle past the age, is ended (its
 * transaction rolls back). Named locks other than the fleet's cannot be seen either: without
 * privileges MariaDB shows none ({@code performance_schema.metadata_locks} needs
 * {@code SELECT} on it, {@code METADATA_LOCK_INFO} a plugin), so a thread of this program that
 * holds a lock of its own and sleeps past the age is ended, and its locks are released.
 * <p>
 * Each thread is read again just before it is killed, and killed only if it still sleeps
 * past the age: any statement it ran since the list was read, taking a lock or opening a
 * transaction included, restarted its sleep. What remains is the one round trip between that
 * read and the {@code KILL}: a statement the thread starts in it is ended with the thread.
 *
 * @author db-budget team
 */
public final class MySqlIdleSessionTerminator {

	private static final String USER = "SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)";

	private static final String SLEEPING = """
			SELECT p.ID, p.DB, p.TIME
			FROM information_schema.PROCESSLIST p
			JOIN performance_schema.session_account_connect_attrs a
			  ON a.PROCESSLIST_ID = p.ID AND a.ATTR_NAME = 'program_name'
			WHERE p.USER = ? AND p.COMMAND = 'Sleep' AND p.TIME >= ? AND p.ID <> CONNECTION_ID()
			  AND a.ATTR_VALUE = ?""";

	private static final String NOT_IN_TRANSACTION = """
			  AND p.ID NOT IN (SELECT t.trx_mysql_thread_id FROM information_schema.INNODB_TRX t)""";

	private static final String STILL_SLEEPING = """
			SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = ? AND COMMAND = 'Sleep' AND TIME >= ?""";

	// ER_SPECIFIC_ACCESS_DENIED_ERROR: INNODB_TRX needs PROCESS
	private static final int ACCESS_DENIED = 1227;

	// ER_NO_SUCH_THREAD: it ended in the meantime
	private static final int NO_SUCH_THREAD = 1094;

	private MySqlIdleSessionTerminator() {
	}

	/**
	 * Ends the threads of the connection's user and program that have slept longer than the
	 * given age.
	 * @param connection a connection of the application, whose own thread is spared
	 * @param idleLongerThan how long a thread must have slept, in whole seconds as the server
	 * counts them
	 * @param spared the threads to leave alone, however long they sleep, and the fleet whose
	 * lock holders are spared
	 * @return what was ended, or why nothing was looked for: where the server does not show the
	 * program name, this application's threads cannot be told from other clients' threads
	 * @throws SQLException if the server cannot be asked
	 */
	public static IdleSessionTermination terminate(Connection connection, Duration idleLongerThan,
			SparedSessions spared) throws SQLException {
		String programName = MySqlApplicationName.read(connection);
		if (programName == null || programName.isBlank()) {
			return IdleSessionTermination.skipped(idleLongerThan, "the server does not show the application's "
					+ "program_name (performance_schema is off, MariaDB's default, or the URL's connectionAttributes "
					+ "set none), so its threads cannot be told from other clients' threads of the same user: turn "
					+ "performance_schema on, and set spring.application.name or db.budget.application-name");
		}
		String user;
		try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(USER)) {
			result.next();
			user = result.getString(1);
		}
		long seconds = Math.max(1, (idleLongerThan.toMillis() + 999) / 1000);
		List<SleepingThread> sleeping;
		try {
			sleeping = sleeping(connection, user, programName, seconds, SLEEPING + NOT_IN_TRANSACTION);
		}
		catch (SQLException ex) {
			if (ex.getErrorCode() != ACCESS_DENIED) {
				throw ex;
			}
			sleeping = sleeping(connection, user, programName, seconds, SLEEPING);
		}
		Set<Long> untouchable = new HashSet<>(spared.sessionIds());
		if (spared.fleetGroupKey() != null && !sleeping.isEmpty()) {
			untouchable.addAll(MySqlFleetMembership.holders(connection, spared.fleetGroupKey()));
		}
		List<TerminatedSession> terminated = new ArrayList<>();
		for (SleepingThread thread : sleeping) {
			if (!untouchable.contains(thread.id()) && kill(connection, thread.id(), seconds)) {
				terminated.add(new TerminatedSession((int) thread.id(), thread.database(), thread.since()));
			}
		}
		return new IdleSessionTermination(programName, user, idleLongerThan, List.copyOf(terminated), null);
	}

	private static List<SleepingThread> sleeping(Connection connection, String user, String programName,
			long seconds, String sql) throws SQLException {
		List<SleepingThread> threads = new ArrayList<>();
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setString(1, user);
			statement.setLong(2, seconds);
			statement.setString(3, programName);
			Instant now = Instant.now();
			try (ResultSet result = statement.executeQuery()) {
				while (result.next()) {
					threads.add(new SleepingThread(result.getLong(1), result.getString(2),
							now.minusSeconds(result.getLong(3))));
				}
			}
		}
		return threads;
	}

	/**
	 * Kills a thread if it still sleeps past the age, read as close to the {@code KILL} as two
	 * statements allow: MySQL has no conditional kill.
	 */
	private static boolean kill(Connection connection, long id, long seconds) throws SQLException {
		try (PreparedStatement still = connection.prepareStatement(STILL_SLEEPING)) {
			still.setLong(1, id);
			still.setLong(2, seconds);
			try (ResultSet result = still.executeQuery()) {
				if (!result.next()) {
					return false;
				}
			}
		}
		try (Statement statement = connection.createStatement()) {
			statement.execute("KILL CONNECTION " + id);
			return true;
		}
		catch (SQLException ex) {
			if (ex.getErrorCode() != NO_SUCH_THREAD) {
				throw ex;
			}
			return false;
		}
	}

	private record SleepingThread(long id, @Nullable String database, Instant since) {

	}

}
