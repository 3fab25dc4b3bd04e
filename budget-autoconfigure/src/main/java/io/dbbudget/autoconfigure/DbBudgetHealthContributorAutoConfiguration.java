package io.dbbudget.autoconfigure;

import io.dbbudget.health.DbBudgetHealthIndicator;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.pool.PoolAdvisor;
import io.dbbudget.server.ServerActivityMonitor;
import io.dbbudget.server.UtilizationThresholds;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration for the {@code dbBudget} {@link DbBudgetHealthIndicator}, switched off
 * with {@code management.health.dbbudget.enabled=false}.
 *
 * @author db-budget team
 */
@AutoConfiguration(after = DbBudgetServerActivityAutoConfiguration.class)
@ConditionalOnClass(ConditionalOnEnabledHealthIndicator.class)
@ConditionalOnBean(ServerActivityMonitor.class)
@ConditionalOnEnabledHealthIndicator("dbbudget")
public final class DbBudgetHealthContributorAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "dbBudgetHealthIndicator")
	DbBudgetHealthIndicator dbBudgetHealthIndicator(BudgetedPools budgetedPools, ServerActivityMonitor monitor,
			UtilizationThresholds thresholds, ObjectProvider<PoolAdvisor> advisor) {
		return new DbBudgetHealthIndicator(budgetedPools, monitor, thresholds, advisor.getIfAvailable());
	}

}
