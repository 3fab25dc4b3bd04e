package io.dbbudget.actuate.endpoint;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import io.dbbudget.test.Logins;
import io.dbbudget.test.Sessions;
import io.dbbudget.test.Sessions.Session;
import io.dbbudget.test.TestDatabase;
import io.dbbudget.test.TestWebApplication;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import org.springframework.boot.test.json.BasicJsonTester;
import org.springframework.boot.test.json.JsonContent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link DbConnectionsEndpoint} over HTTP, in an application on a real PostgreSQL
 * database whose role has a connection limit of 12, so that the budget is known: 12 usable
 * connections, 2 instances, 6 per instance.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DbConnectionsEndpointTests {

	private static final int ROLE_LIMIT = 12;

	private static final String APPLICATION = "orders";

	private static final BasicJsonTester json = new BasicJsonTester(DbConnectionsEndpointTests.class);

	private static TestDatabase database;

	private static TestWebApplication application;

	@BeforeAll
	static void start() {
		database = TestDatabase.create("dbconnections-endpoint");
		database.setRoleConnectionLimit(ROLE_LIMIT);
		application = TestWebApplication.start(database, "spring.application.name=" + APPLICATION,
				"spring.datasource.hikari.maximum-pool-size=10", "spring.datasource.hikari.minimum-idle=2",
				"db.budget.instances=2", "db.budget.sample-interval=200ms", "db.budget.idle-session-age=1s",
				"management.endpoints.web.exposure.include=dbconnections,health",
				"management.endpoint.dbconnections.access=unrestricted");
	}

	@AfterAll
	static void stop() {
		application.close();
		database.close();
	}

	// First: a dispose leaves the pool keeping no idle connection, and this test reads the
	// minimum idle the pool was configured with
	@Test
	@Order(1)
	void statusShowsTheBudgetWithItsSourcesEveryPoolAndTheServer() throws SQLException {
		// The superuser's session first: a sample that shows the other one shows it too
		try (Connection admin = database.adminConnection(); Session billing = Sessions.idle(database, "billing")) {
			await().untilAsserted(() -> assertThat(status())
				.extractingJsonPathNumberValue("$.server.byApplication.billing")
				.isEqualTo(1));
			JsonContent<Object> status = status();
			assertThat(status).extractingJsonPathNumberValue("$.budget.serverMaxConnections")
				.isEqualTo(serverMaxConnections());
			assertThat(status).extractingJsonPathNumberValue("$.budget.roleConnectionLimit").isEqualTo(ROLE_LIMIT);
			assertThat(status).extractingJsonPathNumberValue("$.budget.usableConnections").isEqualTo(ROLE_LIMIT);
			assertThat(status).extractingJsonPathNumberValue("$.budget.availableConnections").isEqualTo(ROLE_LIMIT);
			assertThat(status).extractingJsonPathNumberValue("$.budget.serviceConnections").isEqualTo(ROLE_LIMIT);
			assertThat(status).extractingJsonPathNumberValue("$.budget.instances").isEqualTo(2);
			assertThat(status).extractingJsonPathNumberValue("$.budget.perInstance").isEqualTo(6);
			assertThat(status).extractingJsonPathStringValue("$.budget.mode").isEqualTo("ENFORCE");
			assertThat(status).extractingJsonPathStringValue("$.budget.sources.serverMaxConnections")
				.isEqualTo("server: max_connections");
			assertThat(status).extractingJsonPathStringValue("$.budget.sources.roleConnectionLimit")
				.isEqualTo("server: pg_roles.rolconnlimit");
			assertThat(status).extractingJsonPathArrayValue("$.plan")
				.anySatisfy((line) -> assertThat(line).asString().contains("/ 2 instances = 6 per instance"));
			assertThat(status).extractingJsonPathNumberValue("$.pools.dataSource.requested").isEqualTo(10);
			assertThat(status).extractingJsonPathNumberValue("$.pools.dataSource.budget").isEqualTo(6);
			assertThat(status).extractingJsonPathNumberValue("$.pools.dataSource.maximumPoolSize").isEqualTo(6);
			assertThat(status).extractingJsonPathNumberValue("$.pools.dataSource.minimumIdle").isEqualTo(2);
			assertThat(status).extractingJsonPathStringValue("$.pools.dataSource.fit").isEqualTo("LOWERED");
			assertThat(status).extractingJsonPathNumberValue("$.pools.dataSource.pending").isEqualTo(0);
			assertThat(status).hasJsonPathNumberValue("$.pools.dataSource.active");
			assertThat(status).hasJsonPathNumberValue("$.pools.dataSource.idle");
			assertThat(status).hasJsonPathNumberValue("$.pools.dataSource.total");
			assertThat(status).extractingJsonPathNumberValue("$.pools.dataSource.admissionGate.permits").isEqualTo(6);
			assertThat(status).extractingJsonPathNumberValue("$.pools.dataSource.admissionGate.waiting").isEqualTo(0);
			assertThat(status).hasJsonPathNumberValue("$.pools.dataSource.admissionGate.available");
			assertThat(status).hasJsonPathNumberValue("$.pools.dataSource.admissionGate.waited");
			assertThat(status).hasJsonPathValue("$.pools.dataSource.admissionGate.meanWait");
			assertThat(status).extractingJsonPathNumberValue("$.server.maxConnections")
				.isEqualTo(serverMaxConnections());
			assertThat(status).extractingJsonPathNumberValue("$.server.byApplication." + APPLICATION)
				.satisfies((sessions) -> assertThat(sessions.intValue()).isPositive());
			// A superuser's session: its state is hidden from the application's role
			assertThat(status).extractingJsonPathNumberValue("$.server.byState.unknown")
				.satisfies((sessions) -> assertThat(sessions.intValue()).isPositive());
			assertThat(status).extractingJsonPathStringValue("$.level").isEqualTo("OK");
			assertThat(status.getJson()).doesNotContain("pg_backend_pid").doesNotContain("pg_sleep");
		}
	}

	@Test
	void closeIdleEndsOnlyThisApplicationsOwnIdleSessions() throws Exception {
		try (Session oldIdle = Sessions.idle(database, APPLICATION);
				Session otherOldIdle = Sessions.idle(database, APPLICATION);
				Session otherApplication = Sessions.idle(database, "billing");
				Session inTransaction = Sessions.idleInTransaction(database, APPLICATION);
				Session active = Sessions.active(database, APPLICATION)) {
			// Older than db.budget.idle-session-age
			Thread.sleep(1500);
			HttpResponse<String> response = application.post("/actuator/dbconnections/close-idle");
			assertThat(response.statusCode()).isEqualTo(200);
			JsonContent<Object> closed = json.from(response.body());
			assertThat(closed).extractingJsonPathStringValue("$.server.applicationName").isEqualTo(APPLICATION);
			assertThat(closed).extractingJsonPathStringValue("$.server.user").isEqualTo(database.username());
			assertThat(closed).extractingJsonPathStringValue("$.server.idleLongerThan").isEqualTo("PT1S");
			assertThat(closed).extractingJsonPathArrayValue("$.server.terminated[*].pid")
				.contains(oldIdle.pid(), otherOldIdle.pid())
				.doesNotContain(otherApplication.pid(), inTransaction.pid(), active.pid());
			assertThat(closed).hasJsonPathNumberValue("$.pools.dataSource.closedIdle");
			assertThat(closed).hasJsonPathNumberValue("$.pools.dataSource.closingOnReturn");
			await().until(() -> Sessions.state(database, oldIdle.pid()) == null
					&& Sessions.state(database, otherOldIdle.pid()) == null);
			assertThat(Sessions.state(database, otherApplication.pid())).isEqualTo("idle");
			assertThat(Sessions.state(database, inTransaction.pid())).isEqualTo("idle in transaction");
			assertThat(Sessions.state(database, active.pid())).isEqualTo("active");
		}
	}

	@Test
	void deleteDisposesEveryPoolSoftly() {
		HttpResponse<String> response = application.delete("/actuator/dbconnections");
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(json.from(response.body())).hasJsonPathNumberValue("$.pools.dataSource.closedIdle");
	}

	@Test
	void deleteOfOnePoolDisposesItSoftly() {
		HttpResponse<String> response = application.delete("/actuator/dbconnections/dataSource");
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(json.from(response.body())).hasJsonPathNumberValue("$.pools.dataSource.closedIdle");
	}

	@Test
	void deleteOfAnUnknownPoolAnswers404ListingThePools() {
		HttpResponse<String> response = application.delete("/actuator/dbconnections/reporting");
		assertThat(response.statusCode()).isEqualTo(404);
		assertThat(json.from(response.body())).extractingJsonPathStringValue("$.message")
			.isEqualTo("No pool named 'reporting'; the pools under the budget are [dataSource]");
	}

	@Test
	void unknownWriteOperationAnswers400() {
		HttpResponse<String> response = application.post("/actuator/dbconnections/close-all");
		assertThat(response.statusCode()).isEqualTo(400);
		assertThat(json.from(response.body())).extractingJsonPathStringValue("$.message")
			.contains("close-idle");
	}

	@Test
	void writesAreRefusedByDefault() {
		try (TestWebApplication readOnly = TestWebApplication.start(database, "spring.application.name=" + APPLICATION,
				"management.endpoints.web.exposure.include=dbconnections")) {
			assertThat(readOnly.get("/actuator/dbconnections").statusCode()).isEqualTo(200);
			// Without write access Boot maps no POST or DELETE operation: the paths with a selector
			// are unknown, and the endpoint's own path answers GET only
			assertThat(readOnly.post("/actuator/dbconnections/close-idle").statusCode()).isEqualTo(404);
			assertThat(readOnly.delete("/actuator/dbconnections/dataSource").statusCode()).isEqualTo(404);
			assertThat(readOnly.delete("/actuator/dbconnections").statusCode()).isEqualTo(405);
		}
	}

	@Test
	void statusAnswersWhileTheBudgetIsNotKnown() {
		try (TestDatabase unreachable = TestDatabase.create("dbconnections-unknown-budget")) {
			// The server refuses the role, so neither the limits nor the activity can be read
			Logins.allow(unreachable, false);
			try (TestWebApplication started = TestWebApplication.start(unreachable,
					"spring.datasource.hikari.connection-timeout=250", "db.budget.sample-interval=200ms",
					"management.endpoints.web.exposure.include=dbconnections")) {
				await().untilAsserted(() -> {
					JsonContent<Object> status = json.from(started.get("/actuator/dbconnections").body());
					assertThat(status).doesNotHaveJsonPath("$.budget");
					assertThat(status).extractingJsonPathStringValue("$.plan[0]")
						.contains("waiting for the server's limits");
					assertThat(status).extractingJsonPathNumberValue("$.pools.dataSource.budget").isEqualTo(1);
					assertThat(status).extractingJsonPathStringValue("$.server.error")
						.contains("not permitted to log in");
					assertThat(status).extractingJsonPathStringValue("$.level").isEqualTo("UNKNOWN");
				});
			}
		}
	}

	private static JsonContent<Object> status() {
		HttpResponse<String> response = application.get("/actuator/dbconnections");
		assertThat(response.statusCode()).isEqualTo(200);
		return json.from(response.body());
	}

	private static int serverMaxConnections() throws SQLException {
		try (Connection admin = database.adminConnection();
				Statement statement = admin.createStatement();
				ResultSet result = statement.executeQuery("SHOW max_connections")) {
			result.next();
			return Integer.parseInt(result.getString(1));
		}
	}

}
