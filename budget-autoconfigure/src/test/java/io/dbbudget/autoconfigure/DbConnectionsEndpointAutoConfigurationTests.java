package io.dbbudget.autoconfigure;

import java.time.Duration;

import io.dbbudget.actuate.endpoint.DbConnectionsEndpoint;
import io.dbbudget.actuate.endpoint.DbConnectionsEndpointWebExtension;
import io.dbbudget.budget.InvalidBudgetException;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.server.ServerActivityMonitor;
import io.dbbudget.server.UtilizationThresholds;
import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link DbConnectionsEndpointAutoConfiguration}.
 */
class DbConnectionsEndpointAutoConfigurationTests {

	private static TestDatabase database;

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, DbBudgetAutoConfiguration.class,
				DbBudgetServerActivityAutoConfiguration.class, DbConnectionsEndpointAutoConfiguration.class))
		.withPropertyValues("spring.datasource.url=" + database.jdbcUrl(),
				"spring.datasource.username=" + database.username(),
				"spring.datasource.password=" + database.password(), "db.budget.max-connections=20");

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("dbconnections-autoconfig");
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@Test
	void runShouldHaveEndpointBeanOnlyWhenExposed() {
		this.runner.run((context) -> assertThat(context).doesNotHaveBean(DbConnectionsEndpoint.class));
	}

	@Test
	void runWhenExposedOverHttpShouldHaveEndpointAndWebExtension() {
		this.runner.withPropertyValues("management.endpoints.web.exposure.include=dbconnections")
			.run((context) -> assertThat(context).hasSingleBean(DbConnectionsEndpoint.class)
				.hasSingleBean(DbConnectionsEndpointWebExtension.class));
	}

	@Test
	void runWhenExposedOverJmxOnlyShouldHaveEndpointWithoutWebExtension() {
		this.runner
			.withPropertyValues("spring.jmx.enabled=true", "management.endpoints.jmx.exposure.include=dbconnections")
			.run((context) -> assertThat(context).hasSingleBean(DbConnectionsEndpoint.class)
				.doesNotHaveBean(DbConnectionsEndpointWebExtension.class));
	}

	@Test
	void runWhenAccessIsNoneShouldNotHaveEndpointBean() {
		this.runner
			.withPropertyValues("management.endpoints.web.exposure.include=dbconnections",
					"management.endpoint.dbconnections.access=NONE")
			.run((context) -> assertThat(context).doesNotHaveBean(DbConnectionsEndpoint.class));
	}

	@Test
	void runWhenUserDefinesEndpointShouldBackOff() {
		this.runner.withPropertyValues("management.endpoints.web.exposure.include=dbconnections")
			.withUserConfiguration(CustomEndpointConfiguration.class)
			.run((context) -> assertThat(context).hasSingleBean(DbConnectionsEndpoint.class)
				.hasBean("customDbConnectionsEndpoint"));
	}

	@Test
	void runWithoutActuatorShouldBackOff() {
		this.runner.withPropertyValues("management.endpoints.web.exposure.include=dbconnections")
			.withClassLoader(new FilteredClassLoader(ConditionalOnAvailableEndpoint.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(DbConnectionsEndpoint.class));
	}

	@Test
	void runWhenStarterIsDisabledShouldNotHaveEndpointBean() {
		this.runner
			.withPropertyValues("management.endpoints.web.exposure.include=dbconnections", "db.budget.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(ServerActivityMonitor.class)
				.doesNotHaveBean(DbConnectionsEndpoint.class));
	}

	@Test
	void negativeIdleSessionAgeStopsStartUp() {
		this.runner
			.withPropertyValues("management.endpoints.web.exposure.include=dbconnections",
					"db.budget.idle-session-age=-1m")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.isInstanceOf(InvalidBudgetException.class)
				.hasMessageContaining("db.budget.idle-session-age = PT-1M"));
	}

	@Configuration(proxyBeanMethods = false)
	static class CustomEndpointConfiguration {

		@Bean
		DbConnectionsEndpoint customDbConnectionsEndpoint(BudgetedPools budgetedPools, ServerActivityMonitor monitor) {
			return new DbConnectionsEndpoint(budgetedPools, monitor, () -> null, new UtilizationThresholds(0.5, 0.6),
					Duration.ofMinutes(1), null, null, null);
		}

	}

}
