// Runs once, on the first start of the official mongo image (empty data folder), as the root
// user from MONGO_INITDB_ROOT_USERNAME/PASSWORD. Creates the account Model Gallery connects
// with: readWrite on its own database and nothing else.

// A block, so that the names below do not clash when several scripts share one shell.
{
  function required(name) {
    const value = process.env[name];
    if (!value) {
      throw new Error(`${name} is not set: the Model Gallery database user cannot be created`);
    }
    return value;
  }

  const appDbName = required("MONGO_APP_DB");
  const appUser = required("MONGO_APP_USER");
  const appPassword = required("MONGO_APP_PASSWORD");

  const appDb = db.getSiblingDB(appDbName);
  const roles = [{ role: "readWrite", db: appDbName }];

  // The account lives in the app database, so the app's URI names it as authSource (or as the
  // URI's database, which MongoDB then uses as authSource by default).
  if (appDb.getUser(appUser) === null) {
    appDb.createUser({ user: appUser, pwd: appPassword, roles });
    print(`created user ${appUser} with readWrite on ${appDbName}`);
  } else {
    appDb.updateUser(appUser, { pwd: appPassword, roles });
    print(`updated user ${appUser} with readWrite on ${appDbName}`);
  }
}
