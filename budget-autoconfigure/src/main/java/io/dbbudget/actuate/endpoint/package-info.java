/**
 * The {@code dbconnections} actuator endpoint: the budget, the pools and the server's
 * connections, and the operations that close idle connections.
 */
@NullMarked
package io.dbbudget.actuate.endpoint;

import org.jspecify.annotations.NullMarked;
