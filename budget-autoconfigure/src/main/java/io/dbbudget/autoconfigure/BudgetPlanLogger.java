package io.dbbudget.autoconfigure;

import io.dbbudget.pool.BudgetedPools;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.SmartInitializingSingleton;

/**
 * Logs the budget plan once every pool has been sized.
 *
 * @author db-budget team
 */
class BudgetPlanLogger implements SmartInitializingSingleton {

	private static final Log logger = LogFactory.getLog(BudgetPlanLogger.class);

	private final BudgetedPools budgetedPools;

	BudgetPlanLogger(BudgetedPools budgetedPools) {
		this.budgetedPools = budgetedPools;
	}

	@Override
	public void afterSingletonsInstantiated() {
		if (!this.budgetedPools.getPools().isEmpty()) {
			logger.info(this.budgetedPools.describe());
		}
	}

}
