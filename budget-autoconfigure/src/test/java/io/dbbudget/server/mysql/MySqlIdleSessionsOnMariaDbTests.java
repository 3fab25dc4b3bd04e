package io.dbbudget.server.mysql;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import io.dbbudget.fleet.MySqlFleetMembership;
import io.dbbudget.fleet.PostgreSqlFleetMembership;
import io.dbbudget.server.IdleSessionTermination.TerminatedSession;
import io.dbbudget.server.IdleSessionTermination;
import io.dbbudget.server.ServerActivity;
import io.dbbudget.server.SparedSessions;
import io.dbbudget.test.MariaDbDatabase;
import io.dbbudget.test.MySqlDriver;
import io.dbbudget.test.PrivateMariaDb;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link MySqlActivityReader} and {@link MySqlIdleSessionTerminator} on private
 * MariaDB servers, as an account without {@code PROCESS}: with {@code performance_schema} on
 * (program names shown) and off (MariaDB's default, where nothing is killed).
 */
class MySqlIdleSessionsOnMariaDbTests {

	private static final Duration AGE = Duration.ofSeconds(1);

	private static PrivateMariaDb withNames;

	private static PrivateMariaDb withoutNames;

	@BeforeAll
	static void startServers() {
		withNames = PrivateMariaDb.builder().setting("performance-schema", "ON").start();
		withoutNames = PrivateMariaDb.builder().setting("performance-schema", "OFF").start();
	}

	@AfterAll
	static void stopServers() {
		withNames.close();
		withoutNames.close();
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void killsOnlyTheApplicationsOwnThreadsSleepingLongerThanTheAge(MySqlDriver driver) throws Exception {
		try (MariaDbDatabase database = MariaDbDatabase.create(withNames, "idle-named-" + driver);
				MariaDbDatabase otherUser = MariaDbDatabase.create(withNames, "idle-other-" + driver);
				Connection caller = connect(database, driver, "orders");
				Connection oldIdle = connect(database, driver, "orders");
				Connection otherProgram = connect(database, driver, "billing");
				Connection otherUsers = connect(otherUser, driver, "orders");
				Connection busy = connect(database, driver, "orders");
				Connection spared = connect(database, driver, "orders")) {
			CompletableFuture<Void> running = runAsync(withNames, busy, "SELECT SLEEP(6)");
			long oldIdleId = id(oldIdle);
			Thread.sleep(AGE.toMillis() * 2 + 200);
			try (Connection fresh = connect(database, driver, "orders")) {
				IdleSessionTermination termination = MySqlIdleSessionTerminator.terminate(caller, AGE,
						new SparedSessions(Set.of(id(spared)), null));
				assertThat(termination.applicationName()).isEqualTo("orders");
				assertThat(termination.user()).isEqualTo(database.username());
				assertThat(termination.terminated()).extracting(TerminatedSession::pid)
					.containsExactly((int) oldIdleId);
				assertThat(termination.terminated()).singleElement()
					.satisfies((session) -> assertThat(session.database()).isEqualTo(database.databaseName()));
				await().until(() -> !database.sessions().contains(oldIdleId));
				assertThat(database.sessions()).contains(id(caller), id(fresh), id(otherProgram), id(busy), id(spared));
				assertThat(otherUser.sessions()).containsExactly(id(otherUsers));
			}
			running.join();
		}
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void withoutProgramNamesRefusesAndKillsNothing(MySqlDriver driver) throws Exception {
		try (MariaDbDatabase database = MariaDbDatabase.create(withoutNames, "idle-unnamed-" + driver);
				Connection caller = connect(database, driver, "orders");
				Connection otherProgram = connect(database, driver, "billing")) {
			Thread.sleep(AGE.toMillis() * 2 + 200);
			IdleSessionTermination termination = MySqlIdleSessionTerminator.terminate(caller, AGE,
					new SparedSessions(Set.of(), null));
			assertThat(termination.terminated()).isEmpty();
			assertThat(termination.skipped()).contains("program_name").contains("performance_schema");
			assertThat(database.sessions()).contains(id(caller), id(otherProgram));
		}
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void sparesTheHoldersOfTheFleetsNamedLocks(MySqlDriver driver) throws Exception {
		int group = PostgreSqlFleetMembership.groupKey("orders");
		try (MariaDbDatabase database = MariaDbDatabase.create(withNames, "idle-locks-" + driver);
				Connection caller = connect(database, driver, "orders");
				Connection member = connect(database, driver, "orders");
				Connection oldIdle = connect(database, driver, "orders")) {
			assertThat(MySqlFleetMembership.join(member, group)).hasValue(0);
			long memberId = id(member);
			long oldIdleId = id(oldIdle);
			Thread.sleep(AGE.toMillis() * 2 + 200);
			IdleSessionTermination termination = MySqlIdleSessionTerminator.terminate(caller, AGE,
					new SparedSessions(Set.of(), group));
			assertThat(termination.terminated()).extracting(TerminatedSession::pid).containsExactly((int) oldIdleId);
			assertThat(database.sessions()).contains(memberId);
		}
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void samplesTheAccountsOwnThreadsAndCountsTheOthersAsUnknown(MySqlDriver driver) throws Exception {
		try (MariaDbDatabase database = MariaDbDatabase.create(withNames, "activity-" + driver);
				Connection reader = connect(database, driver, "orders");
				Connection idle = connect(database, driver, "orders");
				Connection billing = connect(database, driver, "billing");
				Connection admin = withNames.openAdminConnection()) {
			ServerActivity activity = MySqlActivityReader.read(reader);
			assertThat(activity.maxConnections()).isEqualTo(intOf(admin, "SELECT @@max_connections"));
			assertThat(activity.connections()).isEqualTo(threadsConnected(admin));
			assertThat(activity.byState()).containsEntry("active", 1).containsEntry("idle", 2);
			assertThat(activity.byState().get(ServerActivity.UNKNOWN_STATE)).isGreaterThanOrEqualTo(1);
			assertThat(activity.byApplication()).containsEntry("orders", 2).containsEntry("billing", 1);
			assertThat(activity.idleInTransaction()).isEmpty();
			assertThat(activity.utilization()).isBetween(0.0, 1.0);
		}
	}

	private static Connection connect(MariaDbDatabase database, MySqlDriver driver, String program)
			throws SQLException {
		Properties properties = new Properties();
		properties.setProperty("user", database.username());
		properties.setProperty("password", database.password());
		properties.setProperty(MySqlApplicationName.PROPERTY, "program_name:" + program);
		return DriverManager.getConnection(database.jdbcUrl(driver), properties);
	}

	private static CompletableFuture<Void> runAsync(PrivateMariaDb server, Connection connection, String sql)
			throws SQLException {
		long id = id(connection);
		CompletableFuture<Void> running = CompletableFuture.runAsync(() -> {
			try (Statement statement = connection.createStatement()) {
				statement.execute(sql);
			}
			catch (SQLException ex) {
				throw new IllegalStateException(ex);
			}
		});
		await().until(() -> running.isDone() || List.of("Query").contains(command(server, id)));
		return running;
	}

	private static String command(PrivateMariaDb server, long id) throws SQLException {
		try (Connection admin = server.openAdminConnection(); Statement statement = admin.createStatement();
				ResultSet result = statement
					.executeQuery("SELECT COMMAND FROM information_schema.PROCESSLIST WHERE ID = " + id)) {
			return result.next() ? result.getString(1) : "gone";
		}
	}

	private static long id(Connection connection) throws SQLException {
		return (long) intOf(connection, "SELECT CONNECTION_ID()");
	}

	private static int threadsConnected(Connection admin) throws SQLException {
		try (Statement statement = admin.createStatement();
				ResultSet result = statement.executeQuery("SHOW GLOBAL STATUS LIKE 'Threads_connected'")) {
			result.next();
			return result.getInt(2);
		}
	}

	private static int intOf(Connection connection, String sql) throws SQLException {
		try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(sql)) {
			result.next();
			return result.getInt(1);
		}
	}

}
