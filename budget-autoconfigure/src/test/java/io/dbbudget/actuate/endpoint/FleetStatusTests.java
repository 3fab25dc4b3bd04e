package io.dbbudget.actuate.endpoint;

import java.net.http.HttpResponse;

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
 * Tests that the {@code dbconnections} status and the metrics show the fleet when fleet
 * coordination is on, in an application on a real PostgreSQL database.
 */
class FleetStatusTests {

	private static final BasicJsonTester json = new BasicJsonTester(FleetStatusTests.class);

	private static TestDatabase database;

	private static TestWebApplication application;

	@BeforeAll
	static void start() {
		database = TestDatabase.create("fleet-status");
		database.setRoleConnectionLimit(10);
		application = TestWebApplication.start(database, "spring.application.name=fleet-status",
				"db.budget.coordination.enabled=true", "db.budget.coordination.heartbeat=200ms",
				"management.endpoints.web.exposure.include=dbconnections,metrics");
	}

	@AfterAll
	static void stop() {
		application.close();
		database.close();
	}

	@Test
	void statusShowsTheFleetAndItsShareHistory() {
		await().untilAsserted(() -> assertThat(status()).extractingJsonPathArrayValue("$.fleet.history").hasSize(1));
		JsonContent<Object> status = status();
		assertThat(status).extractingJsonPathStringValue("$.fleet.group").isEqualTo("fleet-status");
		assertThat(status).extractingJsonPathNumberValue("$.fleet.slot").isEqualTo(0);
		assertThat(status).extractingJsonPathArrayValue("$.fleet.members[*].slot").containsExactly(0);
		assertThat(status).extractingJsonPathBooleanValue("$.fleet.members[0].self").isTrue();
		assertThat(status).extractingJsonPathNumberValue("$.fleet.members[0].allocation").isEqualTo(6);
		assertThat(status).hasJsonPathNumberValue("$.fleet.members[0].demand");
		assertThat(status).hasJsonPathNumberValue("$.fleet.members[0].held");
		assertThat(status).extractingJsonPathBooleanValue("$.fleet.connected").isTrue();
		assertThat(status).extractingJsonPathStringValue("$.fleet.lastHeartbeat").isNotBlank();
		assertThat(status).extractingJsonPathNumberValue("$.fleet.history[0].members").isEqualTo(1);
		// 10 less 3 kept for a joining instance, 1 of them for coordination
		assertThat(status).extractingJsonPathNumberValue("$.fleet.history[0].perInstance").isEqualTo(7);
		assertThat(status).extractingJsonPathNumberValue("$.fleet.history[0].allocation").isEqualTo(6);
		assertThat(status).extractingJsonPathNumberValue("$.pools.dataSource.maximumPoolSize").isEqualTo(6);
	}

	@Test
	void membersAreAMetric() {
		await().untilAsserted(() -> {
			HttpResponse<String> response = application.get("/actuator/metrics/db.budget.fleet.members");
			assertThat(response.statusCode()).isEqualTo(200);
			assertThat(json.from(response.body())).extractingJsonPathNumberValue("$.measurements[0].value")
				.isEqualTo(1.0);
		});
	}

	@Test
	void demandAndAllocationAreMetrics() {
		await().untilAsserted(() -> {
			HttpResponse<String> allocation = application.get("/actuator/metrics/db.budget.fleet.allocation");
			assertThat(allocation.statusCode()).isEqualTo(200);
			assertThat(json.from(allocation.body())).extractingJsonPathNumberValue("$.measurements[0].value")
				.isEqualTo(6.0);
			HttpResponse<String> demand = application.get("/actuator/metrics/db.budget.fleet.demand");
			assertThat(demand.statusCode()).isEqualTo(200);
			assertThat(json.from(demand.body())).extractingJsonPathNumberValue("$.measurements[0].value")
				.satisfies((value) -> assertThat(value.doubleValue()).isBetween(0.0, 6.0));
		});
	}

	private static JsonContent<Object> status() {
		HttpResponse<String> response = application.get("/actuator/dbconnections");
		assertThat(response.statusCode()).isEqualTo(200);
		return json.from(response.body());
	}

}
