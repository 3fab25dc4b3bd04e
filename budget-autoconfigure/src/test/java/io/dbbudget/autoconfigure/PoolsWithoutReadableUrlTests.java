package io.dbbudget.autoconfigure;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.actuate.endpoint.DbConnectionsEndpoint;
import io.dbbudget.actuate.endpoint.DbConnectionsEndpoint.DbConnectionsDescriptor;
import io.dbbudget.pool.BudgetedPools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for pools whose URL db-budget cannot ask, with {@code db.budget.max-connections}
 * set: a pool configured by {@code dataSourceClassName} alone has no URL, and names no
 * server, so it stays outside the budget; a pool whose URL carries credentials (Oracle's
 * {@code user/password@//host:port/service}) is budgeted against the configured limit and
 * shown as {@code host:port} only. Neither pool connects: nothing here needs a server.
 */
@ExtendWith(OutputCaptureExtension.class)
class PoolsWithoutReadableUrlTests {

	private static final String PASSWORD = "tiger-s3cret";

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DbBudgetAutoConfiguration.class,
				DbBudgetServerActivityAutoConfiguration.class, DbConnectionsEndpointAutoConfiguration.class))
		.withPropertyValues("db.budget.max-connections=20", "db.budget.instances=2",
				"management.endpoints.web.exposure.include=dbconnections");

	@Test
	void poolWithoutJdbcUrlStartsOutsideTheBudget(CapturedOutput output) {
		this.runner.withUserConfiguration(DataSourceClassNameConfiguration.class).run((context) -> {
			assertThat(context).hasNotFailed();
			DataSource dataSource = context.getBean("byClassName", DataSource.class);
			assertThat(dataSource.unwrap(HikariDataSource.class).getMaximumPoolSize()).isEqualTo(30);
			assertThat(context.getBean(BudgetedPools.class).getPools()).isEmpty();
			assertThat(output).contains("db-budget: pool 'byClassName' is outside the budget: it has no jdbcUrl");
		});
	}

	@Test
	void urlWithCredentialsShowsHostAndPortOnly(CapturedOutput output) {
		this.runner.withUserConfiguration(OracleStyleConfiguration.class).run((context) -> {
			assertThat(context).hasNotFailed();
			// 20 / 2 instances
			assertThat(context.getBean("oracle", DataSource.class).unwrap(HikariDataSource.class).getMaximumPoolSize())
				.isEqualTo(10);
			DbConnectionsDescriptor status = context.getBean(DbConnectionsEndpoint.class).connections();
			assertThat(status.servers()).singleElement()
				.satisfies((server) -> assertThat(server.server()).isEqualTo("db.example.com:1521"));
			assertThat(status.plan()).noneMatch((line) -> line.contains(PASSWORD) || line.contains("scott"));
			assertThat(context.getBean(BudgetedPools.class).describe()).doesNotContain(PASSWORD);
			assertThat(output).doesNotContain(PASSWORD);
		});
	}

	@Configuration(proxyBeanMethods = false)
	static class DataSourceClassNameConfiguration {

		@Bean
		@Primary
		HikariDataSource byClassName() {
			HikariDataSource pool = new HikariDataSource();
			pool.setDataSourceClassName("org.postgresql.ds.PGSimpleDataSource");
			pool.addDataSourceProperty("serverName", "127.0.0.1");
			pool.addDataSourceProperty("databaseName", "orders");
			pool.setMaximumPoolSize(30);
			return pool;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class OracleStyleConfiguration {

		@Bean
		HikariDataSource oracle() {
			HikariDataSource pool = new HikariDataSource();
			pool.setJdbcUrl("jdbc:oracle:thin:scott/" + PASSWORD + "@//DB.example.com:1521/ORCL");
			pool.setMaximumPoolSize(30);
			return pool;
		}

	}

}
