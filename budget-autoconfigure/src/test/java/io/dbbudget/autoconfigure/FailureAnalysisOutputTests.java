package io.dbbudget.autoconfigure;

import java.util.Map;

import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Tests that a budget that cannot be met stops a real application's start-up with a failure
 * analysis on the console, and no stack trace.
 */
@ExtendWith(OutputCaptureExtension.class)
class FailureAnalysisOutputTests {

	private static TestDatabase database;

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("failure_analysis");
		database.setRoleConnectionLimit(12);
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = '|', value = {
			"db.budget.share=0 | Property: db.budget.share | Set db.budget.share to a value above 0 and at most 1",
			"db.budget.share=1.5 | Property: db.budget.share | Set db.budget.share to a value above 0 and at most 1",
			"db.budget.share=-1 | Value:    \"-1\" | Set db.budget.share to a value above 0 and at most 1",
			"db.budget.instances=0 | Property: db.budget.instances | Set db.budget.instances to the number of instances",
			"db.budget.instances=-3 | Value:    \"-3\" | Set db.budget.instances to the number of instances",
			"db.budget.instances=7 | Property: db.budget.min-pool-size | this instance's share is 1 connections",
			"db.budget.min-pool-size=-1 | Property: db.budget.min-pool-size | Set db.budget.min-pool-size to 1 or more",
			"db.budget.reserved-connections=12 | Property: db.budget.reserved-connections | below 12",
			"db.budget.reserved-connections=-2 | Property: db.budget.reserved-connections | to 0 or more",
			"db.budget.max-connections=0 | Property: db.budget.max-connections | Remove db.budget.max-connections",
			"db.budget.service-connections=50 | only 12 connections are available | Set db.budget.service-connections to 12 or less",
			"db.budget.pools.dataSource.weight=0 | Property: db.budget.pools.dataSource.weight | to 1 or more",
			"db.budget.pools.reporting.weight=2 | there is no DataSource bean named 'reporting' | remove db.budget.pools.reporting",
			"db.budget.retry.max-attempts=0 | Property: db.budget.retry.max-attempts | db.budget.retry.enabled=false",
			"db.budget.retry.multiplier=0.5 | Property: db.budget.retry.multiplier | Set db.budget.retry.multiplier to 1",
			"db.budget.retry.max-interval=100ms | Property: db.budget.retry.max-interval | to 2s or more",
			"db.budget.retry.initial-interval=soon | db.budget.retry.initial-interval | Update your application's configuration",
			"db.budget.mode=strict | db.budget.mode | Update your application's configuration",
			"db.budget.coordination.heartbeat=0s | Property: db.budget.coordination.heartbeat | Set db.budget.coordination.heartbeat to",
			"db.budget.mode=fail | Pool 'dataSource' asks for 20 connections, over its db-budget budget of 12 | to 12 or less" })
	void invalidBudgetStopsStartUpWithAFailureAnalysisAndNoStackTrace(String property, String description,
			String action, CapturedOutput output) {
		SpringApplication application = new SpringApplication(Application.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setDefaultProperties(Map.of("spring.datasource.url", database.jdbcUrl(),
				"spring.datasource.username", database.username(), "spring.datasource.password",
				database.password(), "spring.datasource.hikari.maximum-pool-size", "20", "db.budget.min-pool-size",
				"2", "db.budget.retry.initial-interval", "2s"));
		assertThatException().isThrownBy(() -> application.run("--" + property));
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains(description)
			.contains(action)
			.doesNotContain("\tat ");
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ DataSourceAutoConfiguration.class, DbBudgetAutoConfiguration.class })
	static class Application {

	}

}
