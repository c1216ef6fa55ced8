// Upload files to a model: the multipart request over XMLHttpRequest (api/upload.ts), for
// real upload progress.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { queryKeys } from "@/api/keys";
import { uploadPrediction, type UploadRequest } from "@/api/upload";

export function useCreatePrediction() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (request: UploadRequest) => uploadPrediction(request),
    onSuccess: (job) => {
      client.setQueryData(queryKeys.prediction(job.id), job);
      client.invalidateQueries({ queryKey: queryKeys.myPredictions });
    },
  });
}
