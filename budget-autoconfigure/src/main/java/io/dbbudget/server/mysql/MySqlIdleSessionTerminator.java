package io.dbbudget.server.mysql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.dbbudget.server.IdleSessionTermination.TerminatedSession;
import io.dbbudget.server.IdleSessionTermination;
import org.jspecify.annotations.Nullable;

/**
 * Ends this application's MySQL or MariaDB threads that have slept for long, with
 * {@code KILL CONNECTION}: those of the same user as the connection it runs on, in
 * {@code Sleep} (running nothing) longer than the age, and, where the server shows the
 * {@code program_name} attribute ({@code performance_schema} on), with the same program name.
 * Threads running a statement, threads of any other user and, where the name is shown, of any
 * other program are never touched. An account may kill its own threads, so no privilege is
 * needed.
 * <p>
 * Where the account may read {@code information_schema.INNODB_TRX} ({@code PROCESS}), threads
 * inside a transaction are spared too; an account without it cannot see whether a sleeping
 * thread holds a transaction open, and such a thread, idle past the age, is ended (its
 * transaction rolls back).
 *
 * @author db-budget team
 */
public final class MySqlIdleSessionTerminator {

	private static final String USER = "SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)";

	private static final String SLEEPING = """
			SELECT p.ID, p.DB, p.TIME
			FROM information_schema.PROCESSLIST p
			LEFT JOIN performance_schema.session_account_connect_attrs a
			       ON a.PROCESSLIST_ID = p.ID AND a.ATTR_NAME = 'program_name'
			WHERE p.USER = ? AND p.COMMAND = 'Sleep' AND p.TIME >= ? AND p.ID <> CONNECTION_ID()
			  AND (? IS NULL OR a.ATTR_VALUE = ?)""";

	private static final String NOT_IN_TRANSACTION = """
			  AND p.ID NOT IN (SELECT t.trx_mysql_thread_id FROM information_schema.INNODB_TRX t)""";

	// ER_SPECIFIC_ACCESS_DENIED_ERROR: INNODB_TRX needs PROCESS
	private static final int ACCESS_DENIED = 1227;

	// ER_NO_SUCH_THREAD: it ended in the meantime
	private static final int NO_SUCH_THREAD = 1094;

	private MySqlIdleSessionTerminator() {
	}

	/**
	 * Ends the threads of the connection's user (and program, where shown) that have slept
	 * longer than the given age.
	 * @param connection a connection of the application, whose own thread is spared
	 * @param idleLongerThan how long a thread must have slept, in whole seconds as the server
	 * counts them
	 * @return what was ended
	 * @throws SQLException if the server cannot be asked
	 */
	public static IdleSessionTermination terminate(Connection connection, Duration idleLongerThan)
			throws SQLException {
		String user;
		try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(USER)) {
			result.next();
			user = result.getString(1);
		}
		String programName = MySqlApplicationName.read(connection);
		List<SleepingThread> sleeping;
		try {
			sleeping = sleeping(connection, user, programName, idleLongerThan, SLEEPING + NOT_IN_TRANSACTION);
		}
		catch (SQLException ex) {
			if (ex.getErrorCode() != ACCESS_DENIED) {
				throw ex;
			}
			sleeping = sleeping(connection, user, programName, idleLongerThan, SLEEPING);
		}
		List<TerminatedSession> terminated = new ArrayList<>();
		for (SleepingThread thread : sleeping) {
			try (Statement statement = connection.createStatement()) {
				statement.execute("KILL CONNECTION " + thread.id());
				terminated.add(new TerminatedSession((int) thread.id(), thread.database(), thread.since()));
			}
			catch (SQLException ex) {
				if (ex.getErrorCode() != NO_SUCH_THREAD) {
					throw ex;
				}
			}
		}
		return new IdleSessionTermination(programName, user, idleLongerThan, List.copyOf(terminated), null);
	}

	private static List<SleepingThread> sleeping(Connection connection, String user, @Nullable String programName,
			Duration idleLongerThan, String sql) throws SQLException {
		List<SleepingThread> threads = new ArrayList<>();
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setString(1, user);
			statement.setLong(2, Math.max(1, (idleLongerThan.toMillis() + 999) / 1000));
			statement.setString(3, programName);
			statement.setString(4, programName);
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

	private record SleepingThread(long id, @Nullable String database, Instant since) {

	}

}
