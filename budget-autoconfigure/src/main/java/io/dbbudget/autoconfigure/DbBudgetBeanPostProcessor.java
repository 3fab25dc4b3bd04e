package io.dbbudget.autoconfigure;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.pool.BudgetedPools;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.PriorityOrdered;

/**
 * Sizes every {@link HikariDataSource} bean to its budget once its properties are bound and
 * before its pool starts.
 *
 * @author db-budget team
 */
class DbBudgetBeanPostProcessor implements BeanPostProcessor, PriorityOrdered {

	private final ObjectProvider<BudgetedPools> budgetedPools;

	DbBudgetBeanPostProcessor(ObjectProvider<BudgetedPools> budgetedPools) {
		this.budgetedPools = budgetedPools;
	}

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) {
		if (bean instanceof HikariDataSource dataSource) {
			this.budgetedPools.getObject().register(beanName, dataSource);
		}
		return bean;
	}

	@Override
	public int getOrder() {
		// Before post-processors that wrap DataSources and would hide the Hikari pool
		return Ordered.HIGHEST_PRECEDENCE + 10;
	}

}
