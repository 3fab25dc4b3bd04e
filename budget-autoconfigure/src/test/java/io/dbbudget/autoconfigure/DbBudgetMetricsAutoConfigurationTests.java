package io.dbbudget.autoconfigure;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import io.dbbudget.metrics.AcquisitionMetrics;
import io.dbbudget.metrics.AdmissionGateMetrics;
import io.dbbudget.metrics.PoolBudgetMetrics;
import io.dbbudget.metrics.ServerActivityMetrics;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.test.Ports;
import io.dbbudget.server.ServerActivityMonitor;
import io.dbbudget.test.TestDatabase;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.metrics.DataSourcePoolMetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link DbBudgetMetricsAutoConfiguration}, on a real PostgreSQL database whose role
 * has a connection limit of 12: with 3 instances the pool's budget is 4.
 */
class DbBudgetMetricsAutoConfigurationTests {

	private static final String APPLICATION = "metrics-orders";

	private static TestDatabase database;

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, DbBudgetAutoConfiguration.class,
				DbBudgetServerActivityAutoConfiguration.class, DbBudgetMetricsAutoConfiguration.class,
				MetricsAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
				CompositeMeterRegistryAutoConfiguration.class, DataSourcePoolMetricsAutoConfiguration.class))
		.withPropertyValues("spring.datasource.url=" + database.jdbcUrl(),
				"spring.datasource.username=" + database.username(),
				"spring.datasource.password=" + database.password(), "spring.application.name=" + APPLICATION,
				"spring.datasource.hikari.maximum-pool-size=10", "db.budget.instances=3",
				"db.budget.sample-interval=100ms");

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("metrics-autoconfig");
		database.setRoleConnectionLimit(12);
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@Test
	void poolBudgetIsAGaugePerPool() {
		this.runner.run((context) -> {
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.get("db.budget.pool.budget").tag("pool", "dataSource").gauge().value()).isEqualTo(4);
		});
	}

	@Test
	void serverGaugesReadTheLatestSample() {
		this.runner.run((context) -> {
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			await().until(() -> registry.find("db.budget.server.application.connections")
				.tag("application.name", APPLICATION)
				.gauge() != null);
			assertThat(registry.get("db.budget.server.application.connections")
				.tag("application.name", APPLICATION)
				.gauge()
				.value()).isPositive();
			double maxConnections = registry.get("db.budget.server.max.connections").gauge().value();
			assertThat(maxConnections).isGreaterThan(12);
			assertThat(registry.get("db.budget.server.utilization").gauge().value()).isBetween(0.0, 1.0);
			// The sampling session itself is active
			assertThat(registry.get("db.budget.server.connections").tag("state", "active").gauge().value())
				.isGreaterThanOrEqualTo(1);
			assertThat(registry.get("db.budget.server.connections")
				.tag("state", "idle in transaction (aborted)")
				.gauge()
				.value()).isZero();
		});
	}

	@Test
	void hikariMetricsAreBoundOnceAndNotRepeated() {
		this.runner.run((context) -> {
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			try (Connection connection = context.getBean(DataSource.class).getConnection()) {
				assertThat(registry.get("hikaricp.connections.max").gauges()).hasSize(1);
				assertThat(registry.get("hikaricp.connections.max").gauge().value()).isEqualTo(4);
			}
			assertThat(registry.getMeters()
				.stream()
				.map((meter) -> meter.getId().getName())
				.filter((name) -> name.startsWith("db.budget"))
				.distinct()).isSubsetOf("db.budget.pool.budget", "db.budget.server.max.connections",
						"db.budget.server.utilization", "db.budget.server.connections",
						"db.budget.server.application.connections", "db.budget.acquire.waiting", "db.budget.acquire.wait");
		});
	}

	@Test
	void poolTimeoutIsCountedAsAFailureAndNotRetried() {
		this.runner
			.withPropertyValues("spring.datasource.hikari.maximum-pool-size=2",
					"spring.datasource.hikari.connection-timeout=250", "db.budget.retry.max-attempts=2",
					"db.budget.retry.initial-interval=50ms")
			.run((context) -> {
				DataSource dataSource = context.getBean(DataSource.class);
				List<Connection> held = new ArrayList<>();
				try {
					held.add(dataSource.getConnection());
					held.add(dataSource.getConnection());
					assertThatExceptionOfType(SQLException.class).isThrownBy(dataSource::getConnection);
				}
				finally {
					for (Connection connection : held) {
						connection.close();
					}
				}
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				assertThat(registry.find("db.budget.acquire.retries").counters()).isEmpty();
				assertThat(count(registry, "db.budget.acquire.failures", "pool-timeout")).isEqualTo(1);
			});
	}

	@Test
	void retriedAndFailedAcquisitionsAreCounted() {
		this.runner
			.withPropertyValues("spring.datasource.url=jdbc:postgresql://127.0.0.1:" + Ports.closed() + "/postgres",
					"spring.datasource.hikari.connection-timeout=250", "db.budget.retry.max-attempts=2",
					"db.budget.retry.initial-interval=50ms")
			.run((context) -> {
				DataSource dataSource = context.getBean(DataSource.class);
				assertThatExceptionOfType(SQLException.class).isThrownBy(dataSource::getConnection);
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				assertThat(count(registry, "db.budget.acquire.retries", "08001")).isEqualTo(1);
				assertThat(count(registry, "db.budget.acquire.failures", "08001")).isEqualTo(1);
			});
	}

	@Test
	void callersWaitingAtTheAdmissionGateAreAGaugeAndTheirWaitATimer() {
		// The server sampler takes a pooled connection of its own, straight from the pool: here it
		// samples once, and the test holds the connections only after that sample
		this.runner.withPropertyValues("spring.datasource.hikari.maximum-pool-size=2", "db.budget.sample-interval=1h")
			.run((context) -> {
				ServerActivityMonitor monitor = context.getBean(ServerActivityMonitor.class);
				await().atMost(Duration.ofSeconds(10)).until(() -> monitor.getSample().activity() != null);
				DataSource dataSource = context.getBean(DataSource.class);
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				List<Connection> held = new ArrayList<>();
				held.add(dataSource.getConnection());
				held.add(dataSource.getConnection());
				// Two callers beyond the permits wait inside the pool, the third at the gate
				List<CompletableFuture<Void>> callers = new ArrayList<>();
				callers.add(useOneConnectionLater(dataSource));
				callers.add(useOneConnectionLater(dataSource));
				await().atMost(Duration.ofSeconds(5))
					.until(() -> registry.get("hikaricp.connections.pending").gauge().value() == 2);
				callers.add(useOneConnectionLater(dataSource));
				try {
					await().atMost(Duration.ofSeconds(5))
						.until(() -> registry.get("db.budget.acquire.waiting").tag("pool", "dataSource").gauge().value() == 1);
					// Hikari's own count does not see the queue at the gate
					assertThat(registry.get("hikaricp.connections.pending").gauge().value()).isEqualTo(2);
					held.remove(0).close();
					CompletableFuture.allOf(callers.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
				}
				finally {
					for (Connection connection : held) {
						connection.close();
					}
				}
				assertThat(registry.get("db.budget.acquire.waiting").gauge().value()).isZero();
				FunctionTimer wait = registry.get("db.budget.acquire.wait").tag("pool", "dataSource").functionTimer();
				assertThat(wait.count()).isEqualTo(1);
				assertThat(wait.totalTime(TimeUnit.NANOSECONDS)).isPositive();
			});
	}

	@Test
	void admissionGateOffHasNoGateMetrics() {
		this.runner.withPropertyValues("db.budget.admission.enabled=false").run((context) -> {
			assertThat(context).doesNotHaveBean(AdmissionGateMetrics.class);
			assertThat(context.getBean(MeterRegistry.class).find("db.budget.acquire.waiting").gauge()).isNull();
		});
	}

	@Test
	void runWithoutMeterRegistryShouldBackOff() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DbBudgetAutoConfiguration.class,
					DbBudgetServerActivityAutoConfiguration.class, DbBudgetMetricsAutoConfiguration.class))
			.run((context) -> assertThat(context).hasSingleBean(BudgetedPools.class)
				.doesNotHaveBean(PoolBudgetMetrics.class)
				.doesNotHaveBean(AcquisitionMetrics.class));
	}

	@Test
	void runWithoutMicrometerShouldBackOff() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DbBudgetAutoConfiguration.class,
					DbBudgetServerActivityAutoConfiguration.class, DbBudgetMetricsAutoConfiguration.class))
			.withClassLoader(new FilteredClassLoader(MeterRegistry.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(PoolBudgetMetrics.class)
				.doesNotHaveBean(ServerActivityMetrics.class));
	}

	@Test
	void runWhenUserDefinesMetricsShouldBackOff() {
		this.runner.withUserConfiguration(CustomMetricsConfiguration.class)
			.run((context) -> assertThat(context).hasSingleBean(PoolBudgetMetrics.class)
				.hasBean("customPoolBudgetMetrics"));
	}

	private static double count(MeterRegistry registry, String name, String reason) {
		return registry.get(name).tag("pool", "dataSource").tag("reason", reason).counter().count();
	}

	@Configuration(proxyBeanMethods = false)
	static class CustomMetricsConfiguration {

		@Bean
		PoolBudgetMetrics customPoolBudgetMetrics(BudgetedPools budgetedPools) {
			return new PoolBudgetMetrics(budgetedPools);
		}

	}

	private static CompletableFuture<Void> useOneConnectionLater(DataSource dataSource) {
		return CompletableFuture.runAsync(() -> {
			try (Connection connection = dataSource.getConnection()) {
				assertThat(connection.isValid(1)).isTrue();
			}
			catch (SQLException ex) {
				throw new IllegalStateException(ex);
			}
		});
	}

}
