package io.dbbudget.actuate.endpoint;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
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
 * Tests that the {@code dbconnections} endpoint cannot be abused: names that look like SQL
 * stay data, methods it does not offer are refused, and the status shows neither other
 * sessions' queries nor credentials.
 */
class DbConnectionsEndpointSecurityTests {

	// Quotes, a statement separator, a comment and non-ASCII: all of it must stay a value
	private static final String HOSTILE_NAME = "x'); DROP TABLE guard; -- ünïcødé";

	private static final BasicJsonTester json = new BasicJsonTester(DbConnectionsEndpointSecurityTests.class);

	private static TestDatabase database;

	private static TestWebApplication application;

	@BeforeAll
	static void start() throws SQLException {
		database = TestDatabase.create("dbconnections-security");
		try (Connection connection = database.openConnection(); Statement statement = connection.createStatement()) {
			statement.execute("CREATE TABLE guard (id int)");
		}
		application = TestWebApplication.start(database, "spring.application.name=" + HOSTILE_NAME,
				"db.budget.idle-session-age=1s", "db.budget.sample-interval=200ms",
				"management.endpoints.web.exposure.include=dbconnections",
				"management.endpoint.dbconnections.access=unrestricted");
	}

	@AfterAll
	static void stop() {
		application.close();
		database.close();
	}

	@Test
	void applicationNameThatLooksLikeSqlIsOnlyEverAValue() throws Exception {
		try (Session ownOldIdle = Sessions.idle(database, HOSTILE_NAME);
				Session otherApplication = Sessions.idle(database, "x")) {
			Thread.sleep(1500);
			String shownByServer = serverApplicationName(ownOldIdle.pid());
			HttpResponse<String> response = application.post("/actuator/dbconnections/close-idle");
			assertThat(response.statusCode()).isEqualTo(200);
			JsonContent<Object> closed = json.from(response.body());
			// PostgreSQL keeps only printable ASCII in application_name: it shows other bytes as '?'
			// before 16 and as \xNN escapes from 16 on, and the endpoint reports what it shows
			assertThat(closed).extractingJsonPathStringValue("$.server.applicationName")
				.startsWith("x'); DROP TABLE guard; -- ")
				.isEqualTo(shownByServer)
				.isIn("x'); DROP TABLE guard; -- ??n??c??d??",
						"x'); DROP TABLE guard; -- \\xc3\\xbcn\\xc3\\xafc\\xc3\\xb8d\\xc3\\xa9");
			assertThat(closed).extractingJsonPathArrayValue("$.server.terminated[*].pid")
				.contains(ownOldIdle.pid())
				.doesNotContain(otherApplication.pid());
			await().until(() -> Sessions.state(database, ownOldIdle.pid()) == null);
			assertThat(Sessions.state(database, otherApplication.pid())).isEqualTo("idle");
		}
		assertThat(guardTableExists()).isTrue();
	}

	@Test
	void poolNameThatLooksLikeSqlIsUnknown() throws SQLException {
		HttpResponse<String> response = application
			.delete("/actuator/dbconnections/x'%3B%20DROP%20TABLE%20guard%3B%20--%20%C3%BC");
		assertThat(response.statusCode()).isEqualTo(404);
		assertThat(json.from(response.body())).extractingJsonPathStringValue("$.message")
			.isEqualTo("No pool named 'x'; DROP TABLE guard; -- ü'; the pools under the budget are [dataSource]");
		assertThat(guardTableExists()).isTrue();
	}

	@Test
	void methodsTheEndpointDoesNotOfferAreRefused() {
		assertThat(application.send("PUT", "/actuator/dbconnections").statusCode()).isEqualTo(405);
		assertThat(application.send("PATCH", "/actuator/dbconnections").statusCode()).isEqualTo(405);
		assertThat(application.send("PUT", "/actuator/dbconnections/close-idle").statusCode()).isEqualTo(405);
		assertThat(application.send("GET", "/actuator/dbconnections/close-idle").statusCode()).isEqualTo(405);
	}

	@Test
	void statusShowsNeitherOtherSessionsQueriesNorCredentials() throws Exception {
		try (Session busy = Sessions.active(database, "reporting")) {
			await().untilAsserted(() -> assertThat(json.from(application.get("/actuator/dbconnections").body()))
				.extractingJsonPathNumberValue("$.server.byApplication.reporting")
				.isEqualTo(1));
			String status = application.get("/actuator/dbconnections").body();
			assertThat(status).doesNotContain("pg_sleep")
				.doesNotContain(database.password())
				.doesNotContain("jdbc:postgresql");
		}
	}

	private static String serverApplicationName(int pid) throws SQLException {
		try (Connection connection = database.adminConnection();
				Statement statement = connection.createStatement();
				ResultSet result = statement
					.executeQuery("SELECT application_name FROM pg_stat_activity WHERE pid = " + pid)) {
			assertThat(result.next()).as("session %d", pid).isTrue();
			return result.getString(1);
		}
	}

	private static boolean guardTableExists() throws SQLException {
		try (Connection connection = database.openConnection();
				Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SELECT to_regclass('guard') IS NOT NULL")) {
			result.next();
			return result.getBoolean(1);
		}
	}

}
