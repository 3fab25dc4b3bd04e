package io.dbbudget.actuate.endpoint;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.test.TestDatabase;
import io.dbbudget.test.TestWebApplication;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.json.BasicJsonTester;
import org.springframework.boot.test.json.JsonContent;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests that {@code close-idle} and a dispose give connections back to the server until callers
 * need them, counted in {@code pg_stat_activity}, and that a later load is served without an
 * error.
 */
class ElasticPoolsTests {

	private static final BasicJsonTester json = new BasicJsonTester(ElasticPoolsTests.class);

	private static final int POOL_SIZE = 8;

	private TestDatabase database;

	private TestWebApplication application;

	@BeforeEach
	void start() {
		this.database = TestDatabase.create("elastic_pools");
		// A pool of 8 that Hikari keeps full, as Boot's defaults do. db-budget's own server
		// sample opens and closes a connection of a disposed pool at each interval: a long one
		// keeps it out of the sessions counted here
		this.application = TestWebApplication.start(this.database, "spring.application.name=elastic",
				"spring.datasource.hikari.maximum-pool-size=" + POOL_SIZE, "db.budget.min-pool-size=2",
				"db.budget.sample-interval=1h",
				"management.endpoints.web.exposure.include=dbconnections",
				"management.endpoint.dbconnections.access=unrestricted");
		await().untilAsserted(() -> assertThat(this.database.sessionCount()).isEqualTo(POOL_SIZE));
	}

	@AfterEach
	void stop() {
		this.application.close();
		this.database.close();
	}

	@Test
	void closeIdleLeavesAtMostMinPoolSizeIdleUntilCallersNeedMore() throws Exception {
		HttpResponse<String> response = this.application.post("/actuator/dbconnections/close-idle");
		assertThat(response.statusCode()).isEqualTo(200);
		JsonContent<Object> closed = json.from(response.body());
		assertThat(closed).extractingJsonPathNumberValue("$.pools.dataSource.closedIdle").isEqualTo(POOL_SIZE);
		assertThat(closed).extractingJsonPathNumberValue("$.pools.dataSource.minimumIdle").isEqualTo(2);
		assertThat(closed).extractingJsonPathStringValue("$.pools.dataSource.next").contains("keeps at most 2 idle");
		awaitSessionsStayingAt(2);
		assertThat(status()).extractingJsonPathNumberValue("$.pools.dataSource.minimumIdle").isEqualTo(2);
		assertLoadIsServed();
		assertThat(this.database.sessionCount()).isLessThanOrEqualTo(POOL_SIZE);
	}

	@Test
	void disposeLeavesNoIdleConnectionUntilACallerNeedsOne() throws Exception {
		HttpResponse<String> response = this.application.delete("/actuator/dbconnections/dataSource");
		assertThat(response.statusCode()).isEqualTo(200);
		JsonContent<Object> disposed = json.from(response.body());
		assertThat(disposed).extractingJsonPathNumberValue("$.pools.dataSource.closedIdle").isEqualTo(POOL_SIZE);
		assertThat(disposed).extractingJsonPathNumberValue("$.pools.dataSource.minimumIdle").isEqualTo(0);
		awaitSessionsStayingAt(0);
		assertThat(status()).extractingJsonPathNumberValue("$.pools.dataSource.idle").isEqualTo(0);
		assertLoadIsServed();
	}

	@Test
	void disposeClosesBusyConnectionsOnlyWhenReturned() throws Exception {
		DataSource dataSource = this.application.context().getBean(DataSource.class);
		try (Connection busy = dataSource.getConnection()) {
			this.application.delete("/actuator/dbconnections");
			awaitSessionsStayingAt(1);
			assertThat(busy.isValid(1)).isTrue();
			assertThat(new JdbcTemplate(dataSource).queryForObject("SELECT 1", Integer.class)).isEqualTo(1);
		}
		HikariDataSource pool = dataSource.unwrap(HikariDataSource.class);
		await().untilAsserted(() -> assertThat(pool.getHikariPoolMXBean().getIdleConnections()).isLessThanOrEqualTo(1));
	}

	private void awaitSessionsStayingAt(int sessions) throws InterruptedException {
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(this.database.sessionCount()).isEqualTo(sessions));
		// Hikari refills at once when it refills at all: two seconds later nothing came back
		Thread.sleep(2000);
		assertThat(this.database.sessionCount()).isEqualTo(sessions);
	}

	private void assertLoadIsServed() throws Exception {
		JdbcTemplate jdbc = new JdbcTemplate(this.application.context().getBean(DataSource.class));
		ExecutorService threads = Executors.newFixedThreadPool(2 * POOL_SIZE);
		try {
			List<Future<Integer>> results = new ArrayList<>();
			for (int i = 0; i < 200; i++) {
				results.add(threads.submit(() -> jdbc.queryForObject("SELECT count(*) FROM pg_sleep(0.01)", Integer.class)));
			}
			for (Future<Integer> result : results) {
				assertThat(result.get()).isEqualTo(1);
			}
		}
		finally {
			threads.shutdownNow();
		}
	}

	private JsonContent<Object> status() {
		HttpResponse<String> response = this.application.get("/actuator/dbconnections");
		assertThat(response.statusCode()).isEqualTo(200);
		return json.from(response.body());
	}

}
