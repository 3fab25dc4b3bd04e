package io.dbbudget.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import javax.sql.DataSource;

import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for several instances joining a busy fleet at once, as an autoscaler adds them: with
 * {@code db.budget.coordination.joiners} covering them, none of their first connections is
 * refused by the role's {@code CONNECTION LIMIT}, though the members already there use every
 * connection of their share.
 */
@ExtendWith(OutputCaptureExtension.class)
class FleetJoinersTests {

	private static final int BUDGET = 30;

	private static final int JOINERS = 3;

	private static final int BUSY_THREADS = 14;

	// Long enough that the joiners are all there before the members see the first of them
	private static final Duration HEARTBEAT = Duration.ofSeconds(2);

	private static TestDatabase database;

	private final List<ConfigurableApplicationContext> members = new CopyOnWriteArrayList<>();

	private final AtomicInteger failures = new AtomicInteger();

	private final ExecutorService load = Executors.newCachedThreadPool();

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("fleet_joiners");
		database.setRoleConnectionLimit(BUDGET);
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@AfterEach
	void stop() throws InterruptedException {
		this.load.shutdownNow();
		this.load.awaitTermination(10, TimeUnit.SECONDS);
		this.members.forEach(ConfigurableApplicationContext::close);
	}

	@Test
	void severalJoinersAtOnceFitBesideABusyFleet(CapturedOutput output) {
		for (int i = 0; i < 2; i++) {
			ConfigurableApplicationContext member = start();
			this.members.add(member);
			busy(member);
		}
		// 30 less room for 3 joiners of 3 connections each, less 2 coordination connections:
		// the two busy members share 19
		await().atMost(HEARTBEAT.multipliedBy(5)).untilAsserted(() -> assertThat(this.members.stream()
			.mapToInt((member) -> member.getBean(BudgetedPools.class).getPool("dataSource").dataSource().getMaximumPoolSize())
			.sum()).isEqualTo(19));
		List<CompletableFuture<ConfigurableApplicationContext>> joiners = IntStream.range(0, JOINERS)
			.mapToObj((i) -> CompletableFuture.supplyAsync(this::start, this.load))
			.toList();
		joiners.forEach((joiner) -> this.members.add(joiner.join()));
		for (ConfigurableApplicationContext joiner : this.members.subList(2, 2 + JOINERS)) {
			assertThat(new JdbcTemplate(joiner.getBean(DataSource.class)).queryForObject("SELECT 1", Integer.class))
				.isEqualTo(1);
		}
		await().atMost(HEARTBEAT.multipliedBy(5))
			.untilAsserted(() -> assertThat(this.members).allSatisfy(
					(member) -> assertThat(member.getBean(BudgetedPools.class).getFleet().members()).hasSize(5)));
		assertThat(this.failures).hasValue(0);
		assertThat(output.getOut()).doesNotContain("53300").doesNotContain("too many connections");
	}

	private ConfigurableApplicationContext start() {
		return new SpringApplicationBuilder(FleetCoordinationTests.Member.class, OpenPoolAtStartUp.class)
			.web(WebApplicationType.NONE)
			.properties("spring.datasource.url=" + database.jdbcUrl(),
					"spring.datasource.username=" + database.username(),
					"spring.datasource.password=" + database.password(),
					"spring.datasource.hikari.maximum-pool-size=30", "spring.application.name=joiners",
					"db.budget.coordination.enabled=true", "db.budget.coordination.joiners=" + JOINERS,
					"db.budget.coordination.heartbeat=" + HEARTBEAT.toMillis() + "ms")
			.run();
	}

	/**
	 * Opens the pool during start-up, as Flyway or JPA do.
	 */
	@Configuration(proxyBeanMethods = false)
	static class OpenPoolAtStartUp {

		@Bean
		InitializingBean openPool(DataSource dataSource) {
			return () -> dataSource.getConnection().close();
		}

	}

	private void busy(ConfigurableApplicationContext member) {
		JdbcTemplate jdbc = new JdbcTemplate(member.getBean(DataSource.class));
		for (int i = 0; i < BUSY_THREADS; i++) {
			this.load.execute(() -> {
				while (!Thread.currentThread().isInterrupted()) {
					try {
						jdbc.queryForObject("SELECT count(*) FROM pg_sleep(0.02)", Integer.class);
					}
					catch (RuntimeException ex) {
						if (!Thread.currentThread().isInterrupted() && member.isActive()) {
							this.failures.incrementAndGet();
						}
					}
				}
			});
		}
	}

}
