package io.dbbudget.autoconfigure;

import io.dbbudget.budget.InvalidBudgetException;
import io.dbbudget.pool.SpareConnections;
import io.dbbudget.server.ConnectionSource;
import io.dbbudget.server.ServerActivityMonitor;
import io.dbbudget.server.UtilizationThresholds;
import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link DbBudgetServerActivityAutoConfiguration}.
 */
class DbBudgetServerActivityAutoConfigurationTests {

	private static TestDatabase database;

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, DbBudgetAutoConfiguration.class,
				DbBudgetServerActivityAutoConfiguration.class))
		.withPropertyValues("spring.datasource.url=" + database.jdbcUrl(),
				"spring.datasource.username=" + database.username(),
				"spring.datasource.password=" + database.password(), "spring.application.name=activity-autoconfig",
				"db.budget.sample-interval=100ms");

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("server-activity-autoconfig");
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@Test
	void samplesOnAPooledConnectionOnceAskedAndStopsWithTheContext() {
		long samplers = samplerThreads();
		this.runner.run((context) -> {
			assertThat(context).hasSingleBean(SpareConnections.class).hasSingleBean(UtilizationThresholds.class);
			ServerActivityMonitor monitor = context.getBean(ServerActivityMonitor.class);
			assertThat(samplerThreads()).isEqualTo(samplers);
			await().until(() -> monitor.getSample().current() != null);
			assertThat(monitor.getSample().current().byApplication()).containsKey("activity-autoconfig");
			assertThat(samplerThreads()).isEqualTo(samplers + 1);
		});
		await().until(() -> samplerThreads() == samplers);
	}

	@Test
	void thresholdsComeFromTheHealthProperties() {
		this.runner
			.withPropertyValues("db.budget.health.warn-utilization=0.5", "db.budget.health.critical-utilization=0.6")
			.run((context) -> assertThat(context.getBean(UtilizationThresholds.class))
				.isEqualTo(new UtilizationThresholds(0.5, 0.6)));
	}

	@Test
	void userConnectionSourceReplacesSpareConnections() {
		this.runner.withUserConfiguration(CustomConnectionSourceConfiguration.class)
			.run((context) -> assertThat(context).doesNotHaveBean(SpareConnections.class)
				.hasSingleBean(ConnectionSource.class)
				.hasSingleBean(ServerActivityMonitor.class));
	}

	@Test
	void nonPositiveSampleIntervalStopsStartUp() {
		this.runner.withPropertyValues("db.budget.sample-interval=0s")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.isInstanceOf(InvalidBudgetException.class)
				.hasMessageContaining("db.budget.sample-interval = PT0S"));
	}

	@Test
	void disabledStarterHasNoMonitor() {
		this.runner.withPropertyValues("db.budget.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(ServerActivityMonitor.class));
	}

	private static long samplerThreads() {
		return Thread.getAllStackTraces()
			.keySet()
			.stream()
			.filter((thread) -> thread.getName().equals("db-budget-server-sample") && thread.isAlive())
			.count();
	}

	@Configuration(proxyBeanMethods = false)
	static class CustomConnectionSourceConfiguration {

		@Bean
		ConnectionSource customConnectionSource() {
			return () -> null;
		}

	}

}
