package io.dbbudget.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.sql.DataSource;

import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for a fleet that outgrows its server: on a role whose {@code CONNECTION LIMIT} of 8
 * cannot give two members a coordination connection and a pool of {@code min-pool-size} 2
 * each out of their share, both hold their pools at {@code min-pool-size} and say so once, and
 * grow again with one line when a member leaves.
 */
@ExtendWith(OutputCaptureExtension.class)
class FleetOutgrownTests {

	private static final Duration HEARTBEAT = Duration.ofMillis(300);

	private static TestDatabase database;

	private final List<ConfigurableApplicationContext> members = new CopyOnWriteArrayList<>();

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("fleet_outgrown");
		database.setRoleConnectionLimit(8);
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@AfterEach
	void stop() {
		this.members.forEach(ConfigurableApplicationContext::close);
	}

	@Test
	void outgrownFleetHoldsMinPoolSizeWithOneErrorAndGrowsWhenItFitsAgain(CapturedOutput output) throws Exception {
		start();
		// (8 - 4 kept for a joiner) / 1 = 4, 1 of them for coordination
		awaitPoolsOf(3);
		start();
		awaitPoolsOf(2);
		Thread.sleep(HEARTBEAT.multipliedBy(5).toMillis());
		assertThat(output.getOut().lines().filter((line) -> line.contains("the budget cannot be met"))).hasSize(2);
		assertThat(new JdbcTemplate(this.members.get(0).getBean(DataSource.class)).queryForObject("SELECT 1",
				Integer.class))
			.isEqualTo(1);
		this.members.remove(1).close();
		awaitPoolsOf(3);
		assertThat(output.getOut().lines().filter((line) -> line.contains("fits its budget again"))).hasSize(1);
	}

	private void start() {
		this.members.add(new SpringApplicationBuilder(FleetCoordinationTests.Member.class).web(WebApplicationType.NONE)
			.properties("spring.datasource.url=" + database.jdbcUrl(),
					"spring.datasource.username=" + database.username(),
					"spring.datasource.password=" + database.password(),
					"spring.datasource.hikari.maximum-pool-size=20", "spring.application.name=outgrown",
					"db.budget.min-pool-size=2", "db.budget.coordination.enabled=true",
					"db.budget.coordination.heartbeat=" + HEARTBEAT.toMillis() + "ms")
			.run());
	}

	private void awaitPoolsOf(int size) {
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(this.members)
			.allSatisfy((member) -> assertThat(member.getBean(BudgetedPools.class).getPool("dataSource")
				.dataSource()
				.getMaximumPoolSize()).isEqualTo(size)));
	}

}
