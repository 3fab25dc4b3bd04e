package io.dbbudget.actuate.endpoint;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import javax.sql.DataSource;

import io.dbbudget.actuate.endpoint.DbConnectionsEndpoint.ClosedIdleDescriptor;
import io.dbbudget.autoconfigure.DbBudgetAutoConfiguration;
import io.dbbudget.autoconfigure.DbBudgetServerActivityAutoConfiguration;
import io.dbbudget.autoconfigure.DbConnectionsEndpointAutoConfiguration;
import io.dbbudget.server.IdleSessionTermination.TerminatedSession;
import io.dbbudget.test.Sessions;
import io.dbbudget.test.Sessions.Session;
import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link DbConnectionsEndpoint#closeIdle(String)} on a real PostgreSQL database: a
 * connection the application holds, idle in autocommit, is in use, and survives.
 */
class CloseIdleOnPostgreSqlTests {

	private static final String APPLICATION = "close-idle-orders";

	private static TestDatabase database;

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("close-idle-in-use");
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, DbBudgetAutoConfiguration.class,
				DbBudgetServerActivityAutoConfiguration.class, DbConnectionsEndpointAutoConfiguration.class))
		.withPropertyValues("spring.datasource.url=" + database.jdbcUrl(),
				"spring.datasource.username=" + database.username(),
				"spring.datasource.password=" + database.password(), "spring.application.name=" + APPLICATION,
				"db.budget.max-connections=20", "db.budget.idle-session-age=1s",
				"management.endpoints.web.exposure.include=dbconnections");

	@Test
	void aConnectionHeldIdleInAutocommitSurvives() {
		this.runner.run((context) -> {
			try (Connection held = context.getBean(DataSource.class).getConnection();
					Session oldIdle = Sessions.idle(database, APPLICATION)) {
				int heldPid = intOf(held, "SELECT pg_backend_pid()");
				// Older than db.budget.idle-session-age, running nothing, outside a transaction
				Thread.sleep(1500);
				ClosedIdleDescriptor closed = context.getBean(DbConnectionsEndpoint.class).closeIdle("close-idle");
				assertThat(closed.server().skipped()).isNull();
				assertThat(closed.server().terminated()).extracting(TerminatedSession::pid)
					.contains(oldIdle.pid())
					.doesNotContain(heldPid);
				await().until(() -> Sessions.state(database, oldIdle.pid()) == null);
				assertThat(Sessions.state(database, heldPid)).isEqualTo("idle");
				assertThat(intOf(held, "SELECT 1")).isOne();
			}
		});
	}

	private static int intOf(Connection connection, String sql) throws SQLException {
		try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(sql)) {
			result.next();
			return result.getInt(1);
		}
	}

}
