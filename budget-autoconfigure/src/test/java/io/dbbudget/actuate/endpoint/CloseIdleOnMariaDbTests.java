package io.dbbudget.actuate.endpoint;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

import javax.sql.DataSource;

import io.dbbudget.actuate.endpoint.DbConnectionsEndpoint.ClosedIdleDescriptor;
import io.dbbudget.autoconfigure.DbBudgetAutoConfiguration;
import io.dbbudget.autoconfigure.DbBudgetServerActivityAutoConfiguration;
import io.dbbudget.autoconfigure.DbConnectionsEndpointAutoConfiguration;
import io.dbbudget.fleet.MySqlFleetMembership;
import io.dbbudget.fleet.PostgreSqlFleetMembership;
import io.dbbudget.server.IdleSessionTermination.TerminatedSession;
import io.dbbudget.test.MariaDbDatabase;
import io.dbbudget.test.MySqlDriver;
import io.dbbudget.test.PrivateMariaDb;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link DbConnectionsEndpoint#closeIdle(String)} on MariaDB, as an account without
 * privileges: where the server does not show program names ({@code performance_schema} off,
 * MariaDB's default) nothing is killed; where it does, a connection the application holds idle
 * and the holder of a fleet's named lock survive, while a sleeping thread of the same program
 * outside the pools is killed.
 */
class CloseIdleOnMariaDbTests {

	private static final String APPLICATION = "orders";

	private static PrivateMariaDb withNames;

	@BeforeAll
	static void startServer() {
		withNames = PrivateMariaDb.builder().setting("performance-schema", "ON").start();
	}

	@AfterAll
	static void stopServer() {
		withNames.close();
	}

	private static ApplicationContextRunner runner(MariaDbDatabase database) {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					DbBudgetAutoConfiguration.class, DbBudgetServerActivityAutoConfiguration.class,
					DbConnectionsEndpointAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=" + database.jdbcUrl(MySqlDriver.MARIADB),
					"spring.datasource.username=" + database.username(),
					"spring.datasource.password=" + database.password(), "spring.application.name=" + APPLICATION,
					"db.budget.max-connections=20", "db.budget.idle-session-age=1s",
					"management.endpoints.web.exposure.include=dbconnections");
	}

	@Test
	void withoutProgramNamesRefusesAndAnotherApplicationsThreadSurvives() {
		// The shared server: performance_schema off, as MariaDB ships
		try (MariaDbDatabase database = MariaDbDatabase.create("close-idle-unnamed")) {
			runner(database).run((context) -> {
				try (Connection held = context.getBean(DataSource.class).getConnection();
						Connection billing = connect(database, "billing")) {
					long heldId = id(held);
					long billingId = id(billing);
					Thread.sleep(2200);
					ClosedIdleDescriptor closed = context.getBean(DbConnectionsEndpoint.class)
						.closeIdle("close-idle");
					assertThat(closed.server().terminated()).isEmpty();
					assertThat(closed.server().skipped()).contains("program_name").contains("performance_schema");
					assertThat(database.sessions()).contains(billingId, heldId);
				}
			});
		}
	}

	@Test
	void aConnectionHeldIdleInAutocommitSurvives() {
		try (MariaDbDatabase database = MariaDbDatabase.create(withNames, "close-idle-held")) {
			runner(database).run((context) -> {
				try (Connection held = context.getBean(DataSource.class).getConnection();
						Connection oldIdle = connect(database, APPLICATION)) {
					long heldId = id(held);
					long oldIdleId = id(oldIdle);
					Thread.sleep(2200);
					ClosedIdleDescriptor closed = context.getBean(DbConnectionsEndpoint.class)
						.closeIdle("close-idle");
					assertThat(closed.server().skipped()).isNull();
					assertThat(closed.server().terminated()).extracting(TerminatedSession::pid)
						.contains((int) oldIdleId)
						.doesNotContain((int) heldId);
					await().until(() -> !database.sessions().contains(oldIdleId));
					assertThat(id(held)).isEqualTo(heldId);
				}
			});
		}
	}

	@Test
	void theHolderOfAFleetsNamedLockSurvives() {
		try (MariaDbDatabase database = MariaDbDatabase.create(withNames, "close-idle-locks")) {
			runner(database).withPropertyValues("db.budget.coordination.enabled=true").run((context) -> {
				// Another instance of the application, counted in the fleet by its named lock
				try (Connection member = connect(database, APPLICATION);
						Connection oldIdle = connect(database, APPLICATION)) {
					assertThat(MySqlFleetMembership.join(member, PostgreSqlFleetMembership.groupKey(APPLICATION)))
						.isPresent();
					long memberId = id(member);
					long oldIdleId = id(oldIdle);
					Thread.sleep(2200);
					ClosedIdleDescriptor closed = context.getBean(DbConnectionsEndpoint.class)
						.closeIdle("close-idle");
					assertThat(closed.server().terminated()).extracting(TerminatedSession::pid)
						.contains((int) oldIdleId)
						.doesNotContain((int) memberId);
					await().until(() -> !database.sessions().contains(oldIdleId));
					assertThat(database.sessions()).contains(memberId);
				}
			});
		}
	}

	private static Connection connect(MariaDbDatabase database, String program) throws SQLException {
		Properties properties = new Properties();
		properties.setProperty("user", database.username());
		properties.setProperty("password", database.password());
		properties.setProperty("connectionAttributes", "program_name:" + program);
		return DriverManager.getConnection(database.jdbcUrl(MySqlDriver.MARIADB), properties);
	}

	private static long id(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SELECT CONNECTION_ID()")) {
			result.next();
			return result.getLong(1);
		}
	}

}
