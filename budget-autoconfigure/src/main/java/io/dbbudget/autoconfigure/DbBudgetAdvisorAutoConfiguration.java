package io.dbbudget.autoconfigure;

import io.dbbudget.advisor.Advisor;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.pool.PoolAdvisor;
import io.dbbudget.server.ServerActivityMonitor;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration for the server advisor, which the start-up block, the endpoint and the
 * health indicator share. Switched off with {@code db.budget.advisor.enabled=false}.
 *
 * @author db-budget team
 */
@AutoConfiguration(after = DbBudgetServerActivityAutoConfiguration.class)
@ConditionalOnBean(BudgetedPools.class)
@ConditionalOnBooleanProperty(name = "db.budget.advisor.enabled", matchIfMissing = true)
@EnableConfigurationProperties(DbBudgetAdvisorProperties.class)
public final class DbBudgetAdvisorAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	PoolAdvisor dbBudgetPoolAdvisor(BudgetedPools budgetedPools, DbBudgetAdvisorProperties properties,
			ObjectProvider<ServerActivityMonitor> monitor) {
		return new PoolAdvisor(budgetedPools, new Advisor(properties.getIgnore(), properties.getIdleInTransactionAge()),
				monitor.getIfAvailable());
	}

}
