package io.dbbudget.actuate.endpoint;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import io.dbbudget.test.Sessions;
import io.dbbudget.test.Sessions.Session;
import io.dbbudget.test.TestDatabase;
import io.dbbudget.test.TestWebApplication;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.json.BasicJsonTester;
import org.springframework.boot.test.json.JsonContent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for the advisor's {@code advice} on {@link DbConnectionsEndpoint} and in the health
 * details, over HTTP, in an application whose role has {@code idle_session_timeout = 5s}
 * while its pool keeps Hikari's defaults.
 */
class DbConnectionsEndpointAdviceTests {

	private static final String APPLICATION = "orders";

	private static final BasicJsonTester json = new BasicJsonTester(DbConnectionsEndpointAdviceTests.class);

	private static TestDatabase database;

	private static TestWebApplication application;

	@BeforeAll
	static void start() throws SQLException {
		database = TestDatabase.create("dbconnections-advice");
		try (Connection admin = database.adminConnection(); Statement statement = admin.createStatement()) {
			statement.execute("ALTER ROLE " + database.username() + " SET idle_session_timeout = '5s'");
		}
		application = TestWebApplication.start(database, "spring.application.name=" + APPLICATION,
				"db.budget.sample-interval=200ms", "db.budget.advisor.idle-in-transaction-age=1s",
				"management.endpoints.web.exposure.include=dbconnections,health",
				"management.endpoint.health.show-details=always");
	}

	@AfterAll
	static void stop() {
		application.close();
		database.close();
	}

	@Test
	void statusNamesIdleSessionTimeoutAndTheHikariProperty() {
		JsonContent<Object> status = status();
		assertThat(status).extractingJsonPathArrayValue("$.advice[?(@.setting == 'idle_session_timeout')].value")
			.singleElement()
			.asString()
			.startsWith("5 s for the pools' role and database")
			.contains("keepalive-time 2 min");
		assertThat(status).extractingJsonPathArrayValue("$.advice[?(@.setting == 'idle_session_timeout')].fix")
			.singleElement()
			.asString()
			.contains("ALTER ROLE <username> SET idle_session_timeout = '3min'")
			.contains("spring.datasource.hikari.keepalive-time");
		assertThat(status).extractingJsonPathArrayValue("$.advice[*].risk").doesNotContainNull();
		assertThat(status).extractingJsonPathArrayValue("$.advice[*].check").contains("idle_session_timeout");
		assertThat(status).extractingJsonPathArrayValue("$.advice[?(@.check == 'idle_session_timeout')].level")
			.containsExactly("CONFLICT");
		// The role's name is the pools' username: the status names it nowhere
		assertThat(status.getJson()).doesNotContain(database.username());
	}

	@Test
	void healthSaysThatAdviceExistsAndStaysUp() {
		HttpResponse<String> response = application.get("/actuator/health");
		assertThat(response.statusCode()).isEqualTo(200);
		JsonContent<Object> health = json.from(response.body());
		assertThat(health).extractingJsonPathStringValue("$.components.dbBudget.status").isEqualTo("UP");
		assertThat(health).extractingJsonPathArrayValue("$.components.dbBudget.details.advice")
			.contains("idle_session_timeout");
	}

	@Test
	void sessionsLeftIdleInATransactionAreNamedWithTheirAgeNeverTheirQuery() throws Exception {
		try (Session leaked = Sessions.idleInTransaction(database, APPLICATION)) {
			await().untilAsserted(() -> assertThat(status())
				.extractingJsonPathArrayValue("$.advice[?(@.check == 'idle-in-transaction-sessions')].value")
				.singleElement()
				.asString()
				.contains("pid " + leaked.pid() + " idle "));
			JsonContent<Object> status = status();
			assertThat(status).extractingJsonPathArrayValue("$.advice[*].check").contains("leak-detection-threshold");
			assertThat(status.getJson()).doesNotContain("SELECT 1");
		}
		await().untilAsserted(() -> assertThat(status()).extractingJsonPathArrayValue("$.advice[*].check")
			.doesNotContain("idle-in-transaction-sessions", "leak-detection-threshold"));
	}

	private static JsonContent<Object> status() {
		HttpResponse<String> response = application.get("/actuator/dbconnections");
		assertThat(response.statusCode()).isEqualTo(200);
		return json.from(response.body());
	}

}
