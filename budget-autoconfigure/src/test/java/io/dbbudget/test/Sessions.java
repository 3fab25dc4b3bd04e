package io.dbbudget.test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

import org.jspecify.annotations.Nullable;

/**
 * Server sessions in a chosen state, opened directly (outside any pool) as a test database's
 * role with a chosen {@code application_name}, for tests that look at or end sessions.
 */
public final class Sessions {

	private Sessions() {
	}

	/**
	 * Opens an idle session. The caller closes it.
	 * @param database the database and role
	 * @param applicationName the session's {@code application_name}
	 * @return the session
	 * @throws SQLException if the connection cannot be opened
	 */
	public static Session idle(TestDatabase database, String applicationName) throws SQLException {
		Connection connection = open(database, applicationName);
		return new Session(connection, pid(connection), null);
	}

	/**
	 * Opens a session that is idle in a transaction. The caller closes it.
	 * @param database the database and role
	 * @param applicationName the session's {@code application_name}
	 * @return the session
	 * @throws SQLException if the connection cannot be opened
	 */
	public static Session idleInTransaction(TestDatabase database, String applicationName) throws SQLException {
		Session session = idle(database, applicationName);
		session.connection().setAutoCommit(false);
		try (Statement statement = session.connection().createStatement()) {
			statement.execute("SELECT 1");
		}
		return session;
	}

	/**
	 * Opens a session that runs {@code pg_sleep} on a thread of its own until it is closed,
	 * and waits until the server shows it active. The caller closes it.
	 * @param database the database and role
	 * @param applicationName the session's {@code application_name}
	 * @return the session
	 * @throws SQLException if the connection cannot be opened
	 * @throws InterruptedException if interrupted while waiting
	 */
	public static Session active(TestDatabase database, String applicationName)
			throws SQLException, InterruptedException {
		Connection connection = open(database, applicationName);
		int pid = pid(connection);
		Statement sleep = connection.createStatement();
		Thread sleeper = new Thread(() -> {
			try {
				sleep.execute("SELECT pg_sleep(60)");
			}
			catch (SQLException ex) {
				// Cancelled when the session is closed
			}
		}, "active-session-" + pid);
		sleeper.setDaemon(true);
		sleeper.start();
		long deadline = System.nanoTime() + 5_000_000_000L;
		while (!"active".equals(state(database, pid))) {
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException("Session " + pid + " did not become active");
			}
			Thread.sleep(20);
		}
		return new Session(connection, pid, sleep);
	}

	private static Connection open(TestDatabase database, String applicationName) throws SQLException {
		Properties properties = new Properties();
		properties.setProperty("user", database.username());
		properties.setProperty("password", database.password());
		properties.setProperty("ApplicationName", applicationName);
		properties.setProperty("connectTimeout", "5");
		return DriverManager.getConnection(database.jdbcUrl(), properties);
	}

	private static int pid(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SELECT pg_backend_pid()")) {
			result.next();
			return result.getInt(1);
		}
	}

	/**
	 * The state of a session as a superuser sees it.
	 * @param database a database on the server
	 * @param pid the session's server process
	 * @return its state, or {@code null} if the session is gone
	 */
	public static @Nullable String state(TestDatabase database, int pid) {
		String sql = "SELECT state FROM pg_stat_activity WHERE pid = ?";
		try (Connection admin = database.adminConnection(); PreparedStatement statement = admin.prepareStatement(sql)) {
			statement.setInt(1, pid);
			try (ResultSet result = statement.executeQuery()) {
				return result.next() ? result.getString(1) : null;
			}
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not read the state of session " + pid, ex);
		}
	}

	/**
	 * A session opened by {@link Sessions}.
	 *
	 * @param connection its connection; a connection running a statement on another thread
	 * must not be used
	 * @param pid its server process
	 * @param running the statement it runs on another thread, or {@code null}
	 */
	public record Session(Connection connection, int pid, @Nullable Statement running) implements AutoCloseable {

		@Override
		public void close() throws SQLException {
			if (this.running != null) {
				// pgjdbc serializes the use of a connection: closing it would wait for the statement
				this.running.cancel();
			}
			this.connection.close();
		}

	}

}
