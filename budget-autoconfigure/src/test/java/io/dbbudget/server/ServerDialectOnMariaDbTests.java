package io.dbbudget.server;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;

import io.dbbudget.fleet.FleetView;
import io.dbbudget.fleet.MemberState;
import io.dbbudget.fleet.PostgreSqlFleetMembership;
import io.dbbudget.server.mysql.MySqlDialect;
import io.dbbudget.server.postgresql.PostgreSqlDialect;
import io.dbbudget.test.MariaDbDatabase;
import io.dbbudget.test.MySqlDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link ServerDialect}: the dialect is found from the URL, and with both drivers
 * the MySQL/MariaDB one answers on the shared MariaDB, also through
 * {@link ServerActivityMonitor}.
 */
class ServerDialectOnMariaDbTests {

	private static MariaDbDatabase database;

	@BeforeAll
	static void createDatabase() {
		database = MariaDbDatabase.create("server-dialect");
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@Test
	void findsTheDialectOfAUrl() {
		assertThat(ServerDialect.forUrl("jdbc:postgresql://db/app")).isSameAs(PostgreSqlDialect.INSTANCE);
		assertThat(ServerDialect.forUrl("jdbc:mysql://db/app")).isSameAs(MySqlDialect.INSTANCE);
		assertThat(ServerDialect.forUrl("jdbc:MariaDB://db/app")).isSameAs(MySqlDialect.INSTANCE);
		assertThat(ServerDialect.forUrl("jdbc:h2:mem:app")).isNull();
		assertThat(ServerDialect.forUrl(null)).isNull();
	}

	@Test
	void namesTheApplicationWithEachDatabasesProperty() {
		assertThat(PostgreSqlDialect.INSTANCE.applicationNameProperty("jdbc:postgresql://db/app", new Properties(),
				"orders"))
			.isEqualTo(new ServerDialect.DriverProperty("ApplicationName", "orders"));
		assertThat(PostgreSqlDialect.INSTANCE.applicationNameProperty("jdbc:postgresql://db/app?ApplicationName=x",
				new Properties(), "orders"))
			.isNull();
		assertThat(MySqlDialect.INSTANCE.applicationNameProperty("jdbc:mysql://db/app", new Properties(), "orders"))
			.isEqualTo(new ServerDialect.DriverProperty("connectionAttributes", "program_name:orders"));
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void theMySqlDialectAnswersOnMariaDb(MySqlDriver driver) throws SQLException {
		try (Connection connection = database.openConnection(driver)) {
			ServerDialect dialect = ServerDialect.of(connection);
			assertThat(dialect).isSameAs(MySqlDialect.INSTANCE);
			assertThat(dialect.readLimits(connection).sources().get("serverMaxConnections"))
				.contains("@@max_connections");
			assertThat(dialect.readActivity(connection).connections()).isPositive();
			assertThat(dialect.endedSessionStates()).isSameAs(EndedSessionStates.MYSQL);
			assertThat(dialect.terminateIdleSessions(connection, Duration.ofMinutes(5), new SparedSessions(Set.of(), null))
				.terminated()).isEmpty();
			int group = PostgreSqlFleetMembership.groupKey("dialect");
			assertThat(dialect.joinFleet(connection, group)).hasValue(0);
			assertThat(dialect.takeFleetTurn(connection, group, new FleetView(0, Duration.ofSeconds(2)),
					(members) -> new MemberState(0, 0, 0)))
				.hasSize(1);
		}
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void theMonitorSamplesMariaDbThroughTheDialect(MySqlDriver driver) {
		try (ServerActivityMonitor monitor = new ServerActivityMonitor(() -> database.openConnection(driver),
				Duration.ofMillis(200))) {
			await().until(() -> monitor.getSample().current() != null);
			ServerActivity activity = monitor.getSample().current();
			assertThat(activity.connections()).isPositive();
			assertThat(activity.byState()).containsKey("active");
		}
	}

}
