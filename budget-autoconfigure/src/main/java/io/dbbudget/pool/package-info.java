/**
 * This instance's HikariCP pools under the budget: sizing them before they start, resizing
 * them at run time, the demand they see, and the plan they follow. How the instances of a
 * fleet agree on their shares is {@code io.dbbudget.fleet}'s concern.
 */
@NullMarked
package io.dbbudget.pool;

import org.jspecify.annotations.NullMarked;
