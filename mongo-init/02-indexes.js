// Runs once after 01-create-app-user.js, on the first start of the official mongo image.
// Creates the indexes that MongoStore.open() also creates (backend/modelgallery/store/mongo.py),
// so a fresh database is ready before the app's first connection. Names, keys and options
// must stay the same as there: the contract suite compares this table with the Python one.

// A block, so that the names below do not clash when several scripts share one shell.
{
  const appDbName = process.env.MONGO_APP_DB;
  if (!appDbName) {
    throw new Error("MONGO_APP_DB is not set: cannot create the Model Gallery indexes");
  }

  // collection -> index specs: "key" plus the createIndex options
  const INDEXES = {
    "users": [
      {"key": {"email": 1}, "unique": true},
      {"key": {"created_at": -1}}
    ],
    "jobs": [
      {"key": {"timings.created": -1}},
      {"key": {"user_id": 1, "timings.created": -1}},
      {"key": {"owner": 1}},
      {"key": {"model": 1, "timings.created": -1}},
      {"key": {"status": 1, "timings.created": -1}},
      {"key": {"model": 1, "timings.finished": 1}},
      {"key": {"release": 1}}
    ],
    "messages": [
      {"key": {"delivery": 1, "next_attempt_at": 1}},
      {"key": {"created_at": -1}}
    ],
    "audit": [
      {"key": {"at": -1}}
    ],
    "sessions": [
      {"key": {"user_id": 1, "created_at": -1}},
      {"key": {"expires_at": 1}, "expireAfterSeconds": 0}
    ],
    "model_versions": [
      {"key": {"model": 1, "number": 1}, "unique": true}
    ],
    "releases": [
      {"key": {"model": 1, "created_at": -1}}
    ],
    "replays": [
      {"key": {"model": 1, "created_at": -1}}
    ],
    "flags": [
      {"key": {"model": 1, "created_at": -1}},
      {"key": {"job_id": 1}}
    ]
  };

  const appDb = db.getSiblingDB(appDbName);
  for (const [collection, specs] of Object.entries(INDEXES)) {
    for (const { key, ...options } of specs) {
      const name = appDb.getCollection(collection).createIndex(key, options);
      print(`${appDbName}.${collection}: index ${name}`);
    }
  }
}
