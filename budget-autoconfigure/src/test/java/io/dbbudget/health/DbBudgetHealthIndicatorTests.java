package io.dbbudget.health;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import io.dbbudget.test.Logins;
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
 * Tests for {@link DbBudgetHealthIndicator} over HTTP, beside Spring Boot's own {@code db}
 * indicator, in an application whose pool of 3 connections the tests exhaust.
 */
class DbBudgetHealthIndicatorTests {

	private static final int POOL_SIZE = 3;

	private static final BasicJsonTester json = new BasicJsonTester(DbBudgetHealthIndicatorTests.class);

	private static TestDatabase database;

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("health");
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@Test
	void dbBudgetStaysUpWhileEveryConnectionIsHeldWhereBootsDbIndicatorGoesDown() throws Exception {
		try (TestWebApplication application = start()) {
			await().untilAsserted(() -> assertThat(health(application, "dbBudget", 200))
				.hasJsonPathNumberValue("$.details.connections"));
			DataSource dataSource = application.context().getBean(DataSource.class);
			List<Connection> held = new ArrayList<>();
			try {
				for (int i = 0; i < POOL_SIZE; i++) {
					held.add(dataSource.getConnection());
				}
				// Several sampling intervals: the sampler skips rather than queueing for a connection
				Thread.sleep(500);
				JsonContent<Object> dbBudget = health(application, "dbBudget", 200);
				assertThat(dbBudget).extractingJsonPathStringValue("$.status").isEqualTo("UP");
				assertThat(dbBudget).extractingJsonPathStringValue("$.details.level").isEqualTo("OK");
				assertThat(dbBudget).hasJsonPathNumberValue("$.details.utilization");
				assertThat(dbBudget).hasJsonPathNumberValue("$.details.maxConnections");
				assertThat(dbBudget).extractingJsonPathNumberValue("$.details.pools.dataSource.active")
					.isEqualTo(POOL_SIZE);
				assertThat(dbBudget).extractingJsonPathNumberValue("$.details.pools.dataSource.idle").isEqualTo(0);
				assertThat(dbBudget).extractingJsonPathNumberValue("$.details.pools.dataSource.pending").isEqualTo(0);
				assertThat(dbBudget).extractingJsonPathNumberValue("$.details.pools.dataSource.budget")
					.isEqualTo(POOL_SIZE);
				// Boot's indicator borrows a connection per probe: it waits for the pool and fails
				JsonContent<Object> db = health(application, "db", 503);
				assertThat(db).extractingJsonPathStringValue("$.status").isEqualTo("DOWN");
				assertThat(db).extractingJsonPathStringValue("$.details.error")
					.contains("Failed to obtain JDBC Connection");
			}
			finally {
				for (Connection connection : held) {
					connection.close();
				}
			}
			assertThat(health(application, "db", 200)).extractingJsonPathStringValue("$.status").isEqualTo("UP");
		}
	}

	@Test
	void downOnlyWhileTheServerRefusesEveryNewSession() {
		try (TestWebApplication application = start()) {
			await().untilAsserted(() -> assertThat(health(application, "dbBudget", 200))
				.hasJsonPathNumberValue("$.details.connections"));
			// A sample on a pooled connection would still work: empty the pool first
			application.delete("/actuator/dbconnections");
			Logins.allow(database, false);
			database.terminateSessions();
			try {
				await().untilAsserted(() -> assertThat(health(application, "dbBudget", 503))
					.extractingJsonPathStringValue("$.details.error")
					.contains("not permitted to log in"));
			}
			finally {
				Logins.allow(database, true);
			}
			await().untilAsserted(() -> assertThat(health(application, "dbBudget", 200))
				.extractingJsonPathStringValue("$.status")
				.isEqualTo("UP"));
		}
	}

	private static TestWebApplication start() {
		return TestWebApplication.start(database, "spring.application.name=health-tests",
				"spring.datasource.hikari.maximum-pool-size=" + POOL_SIZE,
				"spring.datasource.hikari.connection-timeout=250", "db.budget.max-connections=" + POOL_SIZE,
				"db.budget.sample-interval=100ms", "db.budget.retry.max-attempts=2",
				"db.budget.retry.initial-interval=100ms", "management.endpoint.health.show-details=always",
				"management.endpoints.web.exposure.include=health,dbconnections",
				"management.endpoint.dbconnections.access=unrestricted");
	}

	private static JsonContent<Object> health(TestWebApplication application, String component, int status) {
		HttpResponse<String> response = application.get("/actuator/health/" + component);
		assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
		return json.from(response.body());
	}

}
