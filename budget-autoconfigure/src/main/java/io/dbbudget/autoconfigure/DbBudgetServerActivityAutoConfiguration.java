package io.dbbudget.autoconfigure;

import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.pool.SpareConnections;
import io.dbbudget.server.ConnectionSource;
import io.dbbudget.server.ServerActivityMonitor;
import io.dbbudget.server.UtilizationThresholds;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration for the sample of the server's activity that the endpoint, the health
 * indicator and the metrics share. Sampling starts when one of them first reads it.
 *
 * @author db-budget team
 */
@AutoConfiguration(after = DbBudgetAutoConfiguration.class)
@ConditionalOnBean(BudgetedPools.class)
public final class DbBudgetServerActivityAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(ConnectionSource.class)
	SpareConnections dbBudgetSpareConnections(BudgetedPools budgetedPools) {
		return new SpareConnections(budgetedPools);
	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	ServerActivityMonitor dbBudgetServerActivityMonitor(ConnectionSource connections, DbBudgetProperties properties) {
		return new ServerActivityMonitor(connections, properties.getSampleInterval());
	}

	@Bean
	@ConditionalOnMissingBean
	UtilizationThresholds dbBudgetUtilizationThresholds(DbBudgetProperties properties) {
		DbBudgetProperties.Health health = properties.getHealth();
		return new UtilizationThresholds(health.getWarnUtilization(), health.getCriticalUtilization());
	}

}
