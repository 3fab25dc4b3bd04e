package io.dbbudget.autoconfigure;

import java.sql.SQLException;
import java.util.List;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.actuate.endpoint.DbConnectionsEndpoint;
import io.dbbudget.actuate.endpoint.DbConnectionsEndpoint.DbConnectionsDescriptor;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.pool.ServerPools;
import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for pools whose URLs name a host in common: one on the test server alone, one on the
 * test server and {@code 127.0.0.2} (loopback too on Linux: the same server where it listens
 * on every address, nothing where it does not) with {@code targetServerType=any}. Either pool
 * may land on the test server, so they share its one budget, which the role's connection
 * limit sets.
 */
class OverlappingHostsBudgetTests {

	private static final int ROLE_LIMIT = 6;

	private static final int REQUESTED = 20;

	private static TestDatabase database;

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DbBudgetAutoConfiguration.class,
				DbBudgetServerActivityAutoConfiguration.class, DbConnectionsEndpointAutoConfiguration.class))
		.withPropertyValues("spring.application.name=orders", "management.endpoints.web.exposure.include=dbconnections");

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("overlapping-hosts");
		database.setRoleConnectionLimit(ROLE_LIMIT);
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@Test
	void singleHostAndMultiHostPoolsOnOneServerShareItsBudget() {
		this.runner.withUserConfiguration(SingleThenMultiHostConfiguration.class).run((context) -> {
			assertThat(context).hasNotFailed();
			DataSource single = context.getBean("single", DataSource.class);
			DataSource multi = context.getBean("multi", DataSource.class);
			// The role's limit of 6, split between the two: not 6 each
			assertThat(maximumPoolSize(single)).isEqualTo(ROLE_LIMIT / 2);
			assertThat(maximumPoolSize(multi)).isEqualTo(ROLE_LIMIT / 2);
			List<ServerPools> servers = context.getBean(BudgetedPools.class).getServers();
			assertThat(servers).singleElement()
				.satisfies((server) -> assertThat(server.getAddress()).hasToString(hostAndPort() + "," + otherHost()));
			DbConnectionsDescriptor status = context.getBean(DbConnectionsEndpoint.class).connections();
			assertThat(status.servers()).singleElement().satisfies((server) -> {
				assertThat(server.server()).isEqualTo(hostAndPort() + "," + otherHost());
				assertThat(server.pools()).containsExactly("single", "multi");
			});
			assertThat(status.plan()).noneMatch((line) -> line.contains("servers, each its own budget"))
				.anyMatch((line) -> line.startsWith("pool 'multi': requested " + REQUESTED + " -> 3"));
			for (DataSource dataSource : List.of(single, multi)) {
				assertThat(new JdbcTemplate(dataSource).queryForObject("SELECT current_database()", String.class))
					.isEqualTo(database.databaseName());
			}
		});
	}

	@Test
	void aPoolThatReachesTwoServersMergesThemIntoOne() {
		this.runner.withUserConfiguration(TwoHostsThenBothConfiguration.class).run((context) -> {
			assertThat(context).hasNotFailed();
			List<ServerPools> servers = context.getBean(BudgetedPools.class).getServers();
			assertThat(servers).singleElement().satisfies((server) -> {
				assertThat(server.getPools()).extracting(BudgetedPools.BudgetedPool::name)
					.containsExactlyInAnyOrder("single", "other", "multi");
				assertThat(server.getBudget().server().roleConnectionLimit()).isEqualTo(ROLE_LIMIT);
			});
			int sum = 0;
			for (String name : List.of("single", "other", "multi")) {
				sum += maximumPoolSize(context.getBean(name, DataSource.class));
			}
			assertThat(sum).isLessThanOrEqualTo(ROLE_LIMIT);
		});
	}

	private static int maximumPoolSize(DataSource dataSource) throws SQLException {
		return dataSource.unwrap(HikariDataSource.class).getMaximumPoolSize();
	}

	// The test server's host:port, as its URL names them
	private static String hostAndPort() {
		String url = database.jdbcUrl();
		int start = url.indexOf("//") + 2;
		return url.substring(start, url.indexOf('/', start));
	}

	private static String otherHost() {
		return "127.0.0.2:" + hostAndPort().substring(hostAndPort().lastIndexOf(':') + 1);
	}

	private static String url(String hosts, String parameters) {
		return "jdbc:postgresql://" + hosts + "/" + database.databaseName() + parameters;
	}

	private static HikariDataSource pool(String url) {
		HikariDataSource pool = new HikariDataSource();
		pool.setJdbcUrl(url);
		pool.setUsername(database.username());
		pool.setPassword(database.password());
		pool.setMaximumPoolSize(REQUESTED);
		return pool;
	}

	@Configuration(proxyBeanMethods = false)
	static class SingleThenMultiHostConfiguration {

		@Bean
		@Primary
		HikariDataSource single() {
			return pool(url(hostAndPort(), ""));
		}

		@Bean
		HikariDataSource multi() {
			return pool(url(hostAndPort() + "," + otherHost(), "?targetServerType=any"));
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class TwoHostsThenBothConfiguration {

		@Bean
		@Primary
		HikariDataSource single() {
			return pool(url(hostAndPort(), ""));
		}

		@Bean
		HikariDataSource other() {
			return pool(url(otherHost(), ""));
		}

		@Bean
		HikariDataSource multi() {
			return pool(url(otherHost() + "," + hostAndPort(), "?targetServerType=any"));
		}

	}

}
