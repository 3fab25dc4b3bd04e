package io.dbbudget.retry;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.server.EndedSessionStates;
import io.dbbudget.test.MariaDbDatabase;
import io.dbbudget.test.MySqlDriver;
import io.dbbudget.test.Ports;
import io.dbbudget.test.PrivateMariaDb;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link TransientFailures} with MySQL Connector/J and MariaDB Connector/J against a
 * private MariaDB: the errors each driver really reports for a full server, an account over
 * its limits, a server shut down or unreachable and a killed session are transient; a wrong
 * password and an unknown database are not.
 */
class TransientFailuresOnMariaDbTests {

	private static final int MAX_CONNECTIONS = 10;

	// MariaDB refuses SET GLOBAL max_user_connections on a server started with 0: start it
	// with a limit that limits nothing, and lower it where a test needs it
	private static final int UNLIMITING_USER_CONNECTIONS = 1000;

	private static PrivateMariaDb server;

	private static MariaDbDatabase database;

	private final List<Connection> held = new ArrayList<>();

	@BeforeAll
	static void startServer() {
		server = PrivateMariaDb.builder()
			.maxConnections(MAX_CONNECTIONS)
			.setting("max-user-connections", String.valueOf(UNLIMITING_USER_CONNECTIONS))
			.start();
		database = MariaDbDatabase.create(server, "transient-failures");
	}

	@AfterAll
	static void stopServer() {
		server.close();
	}

	@AfterEach
	void release() throws SQLException {
		for (Connection connection : this.held) {
			connection.close();
		}
		this.held.clear();
		database.setMaxUserConnections(0);
		admin("SET GLOBAL max_user_connections = " + UNLIMITING_USER_CONNECTIONS);
		await().until(() -> database.sessions().isEmpty());
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void tooManyConnectionsIsTransient(MySqlDriver driver) throws SQLException {
		for (int i = 0; i < MAX_CONNECTIONS; i++) {
			this.held.add(database.openConnection(driver));
		}
		assertTransient(failureOf(() -> database.openConnection(driver)), 1040);
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void accountOverTheGlobalMaxUserConnectionsIsTransient(MySqlDriver driver) throws SQLException {
		admin("SET GLOBAL max_user_connections = 2");
		this.held.add(database.openConnection(driver));
		this.held.add(database.openConnection(driver));
		assertTransient(failureOf(() -> database.openConnection(driver)), 1203);
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void accountOverItsOwnMaxUserConnectionsIsTransient(MySqlDriver driver) throws SQLException {
		database.setMaxUserConnections(1);
		this.held.add(database.openConnection(driver));
		assertTransient(failureOf(() -> database.openConnection(driver)), 1226);
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void closedPortIsTransient(MySqlDriver driver) {
		SQLException failure = failureOf(
				() -> DriverManager.getConnection(driver.url("127.0.0.1:" + Ports.closed(), "test"), "u", "p"));
		assertThat(TransientFailures.reason(failure)).isIn("08S01", "08000");
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void killedSessionIsTransientAndSaysTheServerEndedIt(MySqlDriver driver) throws SQLException {
		Connection connection = database.openConnection(driver);
		this.held.add(connection);
		admin("KILL CONNECTION " + connectionId(connection));
		SQLException failure = failureOf(() -> connectionId(connection));
		assertThat(TransientFailures.reason(failure)).isIn("08S01", "08000");
		assertThat(EndedSessionStates.MYSQL.match(failure)).isNotNull();
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void shutdownIsTransientForSessionsInFlightAndForNewOnes(MySqlDriver driver) throws Exception {
		Connection busy = database.openConnection(driver);
		this.held.add(busy);
		CompletableFuture<Void> shutdown = CompletableFuture.runAsync(server::shutdown,
				CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));
		try {
			SQLException inFlight = failureOf(() -> {
				try (Statement statement = busy.createStatement()) {
					statement.execute("SELECT SLEEP(20)");
				}
			});
			shutdown.join();
			SQLException connecting = failureOf(() -> database.openConnection(driver));
			assertThat(TransientFailures.reason(inFlight)).isIn("08S01", "08000");
			assertThat(EndedSessionStates.MYSQL.match(inFlight)).isNotNull();
			assertThat(TransientFailures.reason(connecting)).isIn("08S01", "08000");
		}
		finally {
			shutdown.join();
			server.start();
		}
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void wrongPasswordIsPermanent(MySqlDriver driver) {
		SQLException failure = failureOf(
				() -> DriverManager.getConnection(database.jdbcUrl(driver), database.username(), "wrong"));
		assertThat(failure.getErrorCode()).isEqualTo(1045);
		assertThat(TransientFailures.reason(failure)).isNull();
		assertThat(TransientFailures.tag(failure)).isEqualTo("28000");
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void unknownDatabaseIsPermanent(MySqlDriver driver) {
		// An account that may see every database learns that it does not exist (1049); one
		// that may not is denied it (1044)
		SQLException unknown = failureOf(() -> DriverManager.getConnection(
				server.jdbcUrl(driver, "no_such_database"), PrivateMariaDb.USERNAME, ""));
		assertThat(unknown.getErrorCode()).isEqualTo(1049);
		assertThat(TransientFailures.reason(unknown)).isNull();
		SQLException denied = failureOf(() -> DriverManager.getConnection(server.jdbcUrl(driver, "no_such_database"),
				database.username(), database.password()));
		assertThat(denied.getErrorCode()).isEqualTo(1044);
		assertThat(TransientFailures.reason(denied)).isNull();
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void poolWaitsWhileTheAccountIsAtItsLimitAndGetsTheConnectionOnceOneIsFreed(MySqlDriver driver)
			throws Exception {
		database.setMaxUserConnections(1);
		Connection holder = database.openConnection(driver);
		RecordingListener listener = new RecordingListener();
		try (HikariDataSource pool = new HikariDataSource()) {
			pool.setJdbcUrl(database.jdbcUrl(driver));
			pool.setUsername(database.username());
			pool.setPassword(database.password());
			pool.setMaximumPoolSize(1);
			pool.setConnectionTimeout(250);
			RetryingDataSource retrying = new RetryingDataSource(pool, "test",
					new RetrySettings(5, Duration.ofMillis(200), 2.0, Duration.ofSeconds(1), false),
					Duration.ofMillis(250), listener);
			CompletableFuture.delayedExecutor(700, TimeUnit.MILLISECONDS).execute(() -> close(holder));
			try (Connection connection = retrying.getConnection()) {
				assertThat(connection.isValid(1)).isTrue();
			}
		}
		assertThat(listener.retries).isNotEmpty().allMatch((reason) -> reason.equals("1226"));
		assertThat(listener.failures).isEmpty();
	}

	@ParameterizedTest
	@ValueSource(ints = { 1053, 2002, 2003, 2006, 2013 })
	void shutdownAndTheClientsConnectionCodesAreTransient(int code) {
		// Neither Connector/J reports these against MariaDB 10.11 (it closes sessions before
		// it could send 1053): drivers and proxies that pass the C client's codes on do
		String state = (code == 1053) ? "08S01" : "HY000";
		assertThat(TransientFailures.reason(new SQLException("failed", state, code))).isEqualTo(String.valueOf(code));
	}

	@Test
	void vendorCodesCountOnlyWithTheirServersSqlState() {
		// 1040 under another product's SQLSTATE is not MySQL's "too many connections"
		assertThat(TransientFailures.reason(new SQLException("failed", "42000", 1040))).isNull();
		assertThat(TransientFailures.reason(new SQLException("syntax", "42000", 1064))).isNull();
		assertThat(TransientFailures.reason(new SQLException("closed", "08000", 1220))).isNull();
	}

	private static void assertTransient(SQLException failure, int code) {
		assertThat(failure.getErrorCode()).isEqualTo(code);
		assertThat(TransientFailures.reason(failure)).isEqualTo(String.valueOf(code));
	}

	private static SQLException failureOf(SqlCall call) {
		try {
			call.run();
		}
		catch (SQLException ex) {
			return ex;
		}
		throw new AssertionError("Expected a failure");
	}

	private static long connectionId(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SELECT CONNECTION_ID()")) {
			result.next();
			return result.getLong(1);
		}
	}

	private static void admin(String sql) throws SQLException {
		try (Connection admin = server.openAdminConnection(); Statement statement = admin.createStatement()) {
			statement.execute(sql);
		}
	}

	private static void close(Connection connection) {
		try {
			connection.close();
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
	}

	@FunctionalInterface
	private interface SqlCall {

		void run() throws SQLException;

	}

}
